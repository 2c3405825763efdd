import ArgumentParser
import CLIP
import Foundation
import History
import Mamba
import ModelIO
import MonitorKit
import Rules
import Tensor

/// `monitor search` latency over a day of memory: a history holding
/// `hours` × `cameras` of entries at the default block shape (8 per 120 s),
/// 512-wide embeddings (ViT-B/32's) and thumbnails of `thumbnail` bytes, searched with
/// a random-weight ViT-B/32 text tower: query encoding, reading the entries and scoring them.
struct MemoryLatency: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "memory-latency", abstract: "Time a memory search over a day of 8 cameras' memory (ViT-B/32 width).")

  @Option var cameras = 8
  @Option var hours = 24.0
  @Option(help: "Entries per 120 s block.") var entries = 8
  @Option(help: "Thumbnail bytes per entry (a 224 px JPEG at quality 75 is ~8 kB).") var thumbnail = 8_000
  @Option var threads = 2
  @Flag(
    help:
      "Re-rank as monitor search does with a retrospective re-ranker: a random-weight one at ViT-B/32's width (expand 1, as train-adapter --retrospective makes them)."
  )
  var retrospective = false

  func run() throws {
    let directory = FileManager.default.temporaryDirectory.path + "/monitor-memory-latency-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let history = try EventHistory(directory: directory)
    var random = SplitMix64(seed: 5)
    let blocks = Int(hours * 3_600 / 120)
    let bytes = [UInt8](repeating: 0x5A, count: thumbnail)
    let filling = DispatchTime.now().uptimeNanoseconds
    for camera in 0..<cameras {
      for block in 0..<blocks {
        let start = 1_800_000_000 + Double(block) * 120
        let records = (0..<entries).map { n in
          MemoryRecord(
            start: start + Double(n) * 15, end: start + Double(n) * 15 + 14.75, frames: 60,
            embedding: (0..<512).map { _ in random.nextFloat(in: -1...1) }, thumbnail: bytes)
        }
        try history.storeMemory(
          camera: "camera-\(camera)", region: nil, blockStart: start, model: "bench", entries: records)
      }
    }
    let size =
      try FileManager.default.attributesOfItem(atPath: directory + "/" + EventHistory.fileName)[.size] as? Int ?? 0
    print(
      "memory: \(cameras * blocks * entries) entries (\(cameras) cameras x \(hours) h), database \(size >> 20) MiB, "
        + "filled in \(String(format: "%.0f", Double(DispatchTime.now().uptimeNanoseconds - filling) / 1e9)) s")
    Parallelism.threads = threads
    let vocabulary = try BPEVocabulary(directory: "Tests/Fixtures/clip/tokenizer")
    let clip = CLIPModel(random: .vitB32, vocabulary: vocabulary, seed: 3, precision: .fp32)
    let reranker =
      retrospective ? BidirectionalAdapter(random: MambaConfig(dModel: 512, dState: 16, expand: 1), seed: 8) : nil
    let engine = Engine(clip: clip, adapter: nil, retrospective: reranker, modelName: "bench", fingerprint: "bench")
    let reader = try EventHistory(directory: directory, readOnly: true)
    var timings: [Double] = []
    for (n, text) in ["a red car", "a person at the door", "a parcel on the step", "a dog", "a bicycle", "snow"]
      .enumerated()
    {
      let started = DispatchTime.now().uptimeNanoseconds
      let (hits, searched) = try MemorySearch(MemorySearchRequest(text: text), blockSeconds: 120).run(
        engine: engine, history: reader)
      let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
      if n > 0 { timings.append(ms) }
      print(
        "search '\(text)'\(n == 0 ? " (cold: background prompts embedded too)" : ""): \(String(format: "%.0f", ms)) ms, "
          + "\(searched) entries, \(hits.count) spans")
    }
    var parts = (text: Double.infinity, read: Double.infinity, score: Double.infinity, rerank: Double.infinity)
    for text in ["a cat", "a van", "a bus"] {
      var started = DispatchTime.now().uptimeNanoseconds
      let scorer = engine.scorer(for: Rule(id: "search", text: [text]))!
      parts.text = min(parts.text, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
      started = DispatchTime.now().uptimeNanoseconds
      let entries = try reader.memoryEntries(MemoryQuery(), model: "bench")
      parts.read = min(parts.read, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
      started = DispatchTime.now().uptimeNanoseconds
      let scores = MemorySearch.scores(entries.map(\.embedding), scorer.present)
      parts.score = min(parts.score, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
      if let reranker {
        started = DispatchTime.now().uptimeNanoseconds
        _ = MemorySearch.reranked(entries, firstPass: scores, by: reranker, scorer.present)
        parts.rerank = min(parts.rerank, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
      }
    }
    print(
      String(
        format: "parts (best of 3): query encoding %.0f ms, reading the entries %.0f ms, scoring them %.0f ms",
        parts.text, parts.read, parts.score)
        + (reranker == nil ? "" : String(format: ", re-ranking the candidates' runs %.0f ms", parts.rerank)))
    print(
      "search latency, threads=\(threads), fp32 ViT-B/32 text tower\(reranker == nil ? "" : " + re-ranker"): best \(String(format: "%.0f", timings.min()!)) ms, "
        + "median \(String(format: "%.0f", timings.sorted()[timings.count / 2])) ms (new text each time)")
  }
}
