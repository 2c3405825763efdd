import ArgumentParser
import Core
import Foundation
import History
import Mamba
import MonitorKit
import Rules
import Video

/// The long-term memory on long synthetic camera videos: each video is
/// sampled and embedded as the daemon does, compressed per block by each
/// strategy at equal memory (entries per block), and searched with object
/// queries ("a blue circle": the spans it is in view) and action queries
/// (the event captions). A query is found at K when one of its K best spans
/// overlaps one of its true intervals with temporal IoU ≥ 0.3.
struct MemoryEval: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "memory",
    abstract: "Search recall of the memory bank vs other memories of equal size, on long synthetic videos.")

  @Option(help: "Directory written by tools/synthetic/generate.py --long (manifest.json, long/).")
  var data: String

  @Option(help: "CLIP model directory (default: the embedded model).")
  var model: String?

  @Option(help: "Frames per second sampled (default: the model's nominal rate, as a camera without fps).")
  var fps: Double?

  @Option(parsing: .upToNextOption, help: "Block lengths to try, seconds.")
  var blockSeconds: [Double] = [120]

  @Option(parsing: .upToNextOption, help: "Entries per block to try.")
  var entries: [Int] = [8]

  @Option(help: "Calibrated score an entry needs to be a hit (monitor search's default).")
  var threshold = 0.5

  @Flag(help: "Bank the trained temporal adapter's outputs (what rules score) instead of the CLIP frame embeddings.")
  var temporal = false

  @Option(
    help:
      "A retrospective re-ranker (train-adapter --retrospective): adds the rows 'causal' (the bank of the temporal adapter's outputs) and 'bidir' (the bank re-ranked by it, as monitor search does)."
  )
  var retrospective: String?

  @Flag(
    help:
      "Keep both per entry: merged by the frame embeddings, each entry also holds the mean adapter output of its frames; an entry scores the better of the two."
  )
  var both = false

  struct Manifest: Decodable {
    struct Event: Decodable {
      var start: Double
      var end: Double
      var caption: String
      var look: [String]
    }
    struct Video: Decodable {
      var file: String
      var seconds: Double
      var events: [Event]
    }
    var seed: Int
    var long: [Video]
  }

  /// One strategy's entries for a video: span, embedding.
  typealias Entry = (start: Double, end: Double, embedding: [Float])

  func run() throws {
    let manifest = try JSONDecoder().decode(
      Manifest.self, from: try Data(contentsOf: URL(fileURLWithPath: data + "/manifest.json")))
    let engine = try Engine(clipDirectory: model, temporalFile: nil, retrospectiveFile: retrospective, precision: .fp32)
    let reranker = retrospective == nil ? nil : engine.retrospective
    let rate = fps ?? engine.nominalRate
    let thumbnails = JPEGEncoder(quality: 75)
    var videos:
      [(
        frames: [(time: Double, embedding: [Float])], rolling: [[Float]], truth: [String: [ClosedRange<Double>]],
        objects: Set<String>, adapted: [(time: Double, embedding: [Float])]
      )] = []
    var thumbnailBytes: [Int] = []
    for video in manifest.long {
      var options = SourceOptions()
      options.geometry = engine.geometry
      options.sampleRate = rate
      let source = try VideoSource(url: data + "/" + video.file, options: options)
      var frames: [(time: Double, embedding: [Float])] = []
      var pending: [Frame] = []
      func flush() {
        for (frame, embedding) in zip(pending, engine.embed(pending)) { frames.append((frame.pts, embedding)) }
        pending = []
      }
      while let frame = try source.nextFrame() {
        if frames.count % 600 == 0 && pending.isEmpty {
          thumbnailBytes.append((try? thumbnails.encode(frame))?.count ?? 0)
        }
        pending.append(frame)
        if pending.count == 32 { flush() }
      }
      flush()
      var rolling: [[Float]] = []
      var adapted: [(time: Double, embedding: [Float])] = []
      if temporal || both || reranker != nil, var adapter = engine.adapter {
        var state = adapter.makeState()
        for index in frames.indices {
          var output = [Float](repeating: 0, count: frames[index].embedding.count)
          adapter.step(frames[index].embedding, time: frames[index].time, state: &state, into: &output)
          adapted.append((frames[index].time, output))
        }
        if temporal { frames = adapted } else if both { rolling = adapted.map(\.embedding) }
      }
      let (truth, objects) = Self.truth(video.events)
      videos.append((frames, rolling, truth, objects, adapted))
      FileHandle.standardError.write(Data("memory: \(video.file): \(frames.count) frames embedded\n".utf8))
    }
    let seconds = manifest.long.map(\.seconds).reduce(0, +)
    print(
      "seed \(manifest.seed): \(manifest.long.count) videos, \(String(format: "%.1f", seconds / 3_600)) h at "
        + "\(String(format: "%g", rate)) fps; object queries \(videos.map(\.objects.count).reduce(0, +)), "
        + "action queries \(videos.map { $0.truth.count - $0.objects.count }.reduce(0, +)); hit: tIoU >= 0.3; "
        + (temporal
          ? "the temporal adapter's outputs banked"
          : both
            ? "CLIP frame embeddings banked, each entry also its frames' mean adapter output"
            : "CLIP frame embeddings banked"))
    let meanThumbnail = Double(thumbnailBytes.reduce(0, +)) / Double(max(1, thumbnailBytes.count))
    print("memory    block    M  object R@1/5   action R@1/5   entries  kB/cam-h")
    for block in blockSeconds {
      for capacity in entries {
        for strategy in ["bank", "uniform", "novelty", "fifo"] + (reranker == nil ? [] : ["causal", "bidir"]) {
          var found = (object: [0, 0], action: [0, 0], objects: 0, actions: 0)
          var stored = 0
          for video in videos {
            let memory =
              strategy == "causal"
              ? Self.memory("bank", frames: video.adapted, block: block, capacity: capacity)
              : Self.memory(
                strategy == "bidir" ? "bank" : strategy, frames: video.frames, block: block, capacity: capacity)
            stored += memory.count
            // --both: each entry's frames' mean adapter output beside its frame mean.
            let rolling: [[Float]]? =
              video.rolling.isEmpty
              ? nil
              : memory.map { entry in
                let inside = video.frames.indices.filter {
                  video.frames[$0].time >= entry.start && video.frames[$0].time <= entry.end
                }
                return Embedding.normalisedMean(inside.map { video.rolling[$0] })
              }
            for (query, intervals) in video.truth {
              let ranks = rank(
                query, memory: memory, rolling: rolling, engine: engine, cap: 2 * block,
                reranker: strategy == "bidir" ? reranker : nil)
              let isObject = video.objects.contains(query)
              for (k, limit) in [1, 5].enumerated()
              where ranks.prefix(limit).contains(where: { span in intervals.contains { Self.iou(span, $0) >= 0.3 } }) {
                if isObject { found.object[k] += 1 } else { found.action[k] += 1 }
              }
              if isObject { found.objects += 1 } else { found.actions += 1 }
            }
          }
          let hours = seconds / 3_600  // camera-hours: every video is one camera
          let dimension = videos.first?.frames.first?.embedding.count ?? 0
          let perEntry = EventHistory.entryBytes(dimension: dimension, thumbnail: Int(meanThumbnail))
          print(
            strategy.padding(toLength: 8, withPad: " ", startingAt: 0) + " "
              + String(
                format: "%6.0f %4d  %6.3f %6.3f  %6.3f %6.3f  %7d %9.0f", block, capacity,
                Double(found.object[0]) / Double(max(1, found.objects)),
                Double(found.object[1]) / Double(max(1, found.objects)),
                Double(found.action[0]) / Double(max(1, found.actions)),
                Double(found.action[1]) / Double(max(1, found.actions)), stored,
                Double(stored) / hours * Double(perEntry) / 1_024))
        }
      }
    }
    print(String(format: "thumbnail: %.0f bytes on average (JPEG quality 75 of the model's picture)", meanThumbnail))
  }

  /// The spans `monitor search` would list for `query`, best first.
  func rank(
    _ query: String, memory: [Entry], rolling: [[Float]]?, engine: Engine, cap: Double, reranker: BidirectionalAdapter?
  ) -> [ClosedRange<Double>] {
    guard let scorer = engine.scorer(for: Rule(id: "search", text: [query])) else { return [] }
    let stored = memory.enumerated().map { index, entry in
      StoredMemoryEntry(
        id: Int64(index), camera: "c", region: nil, start: entry.start, end: entry.end, frames: 1,
        embedding: entry.embedding)
    }
    var scores = MemorySearch.scores(memory.map(\.embedding), scorer.present)
    if let rolling { scores = zip(scores, rolling).map { max($0, scorer.present.score($1)) } }
    return MemorySearch.hits(
      stored, scores: scores, reranker: reranker, scorer.present, threshold: threshold, cap: cap, top: 5
    ).map { $0.start...$0.end }
  }

  /// Per block of `block` seconds, `capacity` entries made by `strategy`:
  /// `bank` (MA-LMM: merge the most similar adjacent pair), `uniform` (equal
  /// stretches, each shown by its first frame), `novelty` (a keyframe where
  /// the picture changed most from the frame before, each keyframe standing
  /// for the frames until the next), `fifo` (the block's last frames only).
  static func memory(_ strategy: String, frames: [(time: Double, embedding: [Float])], block: Double, capacity: Int)
    -> [Entry]
  {
    let blocks = Dictionary(grouping: frames.indices) { Int((frames[$0].time / block).rounded(.down)) }
    var result: [Entry] = []
    for key in blocks.keys.sorted() {
      let indices = blocks[key]!
      let last = frames[indices.last!].time
      switch strategy {
      case "bank":
        var bank = MemoryBank<Int>(capacity: capacity)
        for i in indices { bank.add(frames[i].embedding, time: frames[i].time, keepsake: i) }
        result += bank.entries.map { ($0.start, $0.end, $0.mean) }
      case "uniform", "novelty":
        var starts: [Int]
        if strategy == "uniform" {
          starts = (0..<min(capacity, indices.count)).map { indices[$0 * indices.count / min(capacity, indices.count)] }
        } else {
          let change = indices.dropFirst().map { i in
            (i, 1 - Embedding.cosine(frames[i].embedding, frames[i - 1].embedding))
          }
          starts = [indices[0]] + change.sorted { $0.1 > $1.1 }.prefix(capacity - 1).map(\.0).sorted()
        }
        for (n, start) in starts.enumerated() {
          let end = n + 1 < starts.count ? frames[starts[n + 1] - 1].time : last
          result.append((frames[start].time, end, frames[start].embedding))
        }
      default:
        result += indices.suffix(capacity).map { (frames[$0].time, frames[$0].time, frames[$0].embedding) }
      }
    }
    return result
  }

  /// True intervals per query: each caption's events, and each object's
  /// stretches in view (from the event that brings it in to the one that
  /// takes it out: consecutive events of the same look).
  static func truth(_ events: [Manifest.Event]) -> ([String: [ClosedRange<Double>]], Set<String>) {
    var truth: [String: [ClosedRange<Double>]] = [:]
    for event in events { truth[event.caption, default: []].append(event.start...event.end) }
    var objects: Set<String> = []
    var index = 0
    while index < events.count {
      var last = index
      while last + 1 < events.count && events[last + 1].look == events[index].look { last += 1 }
      let look = events[index].look.filter { $0 != "large" && $0 != "small" }.joined(separator: " ")
      let query = "a " + look
      truth[query, default: []].append(events[index].start...events[last].end)
      objects.insert(query)
      index = last + 1
    }
    return (truth, objects)
  }

  static func iou(_ a: ClosedRange<Double>, _ b: ClosedRange<Double>) -> Double {
    let overlap = max(0, min(a.upperBound, b.upperBound) - max(a.lowerBound, b.lowerBound))
    let union = max(a.upperBound, b.upperBound) - min(a.lowerBound, b.lowerBound)
    return union > 0 ? overlap / union : 0
  }
}
