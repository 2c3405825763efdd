import Config
import Core
import Foundation
import History
import Mamba
import ModelIO
import MonitorKit
import Rules
import Tensor
import TestSupport
import Testing

/// The long-term memory end to end: `monitor run` compresses a camera's
/// frames into blocks in the history database, `monitor search` finds the
/// stretch a text describes, `monitor memory` reports and purges it.
@Suite(.serialized) struct MemoryTests {
  /// Runs the daemon on the 12 s scene-change video (test pattern, red, test
  /// pattern) with 10 s blocks of at most 4 entries; returns its configuration.
  static func runDaemon(in directory: URL) throws -> Configuration {
    let video = try DaemonTests.sceneChangeVideo(in: directory)
    let rules = directory.appendingPathComponent("rules").path
    var rule = Rule(id: "red-scene", text: ["a plain red wall"])
    rule.threshold = 0.99
    try RuleStore(directory: rules).save(rule)
    let path = try DaemonConfig.write(
      in: directory, rules: rules, mqttPort: nil, cameraURL: video,
      cameraLines: ["motion = false", "[memory]", "block_seconds = 10", "entries_per_block = 4"])
    let child = try ChildProcess(try Executables.path("monitor"), ["run", "--config", path, "--seconds", "14"])
    child.process.waitUntilExit()
    #expect(child.process.terminationStatus == 0, "\(child.log)")
    return try Configuration(contentsOf: path)
  }

  @Test func theDaemonRemembersAndSearchFindsTheRedStretch() throws {
    let directory = try Repository.temporaryDirectory("memory")
    let configuration = try Self.runDaemon(in: directory)
    let engine = try Engine(clipDirectory: DaemonTests.model, temporalFile: nil)
    let history = try EventHistory(directory: configuration.historyDirectory, readOnly: true)
    let entries = try history.memoryEntries(MemoryQuery(), model: engine.fingerprint)
    // 12 s at the pooling's 2 fps: every frame in some entry, at most 4 entries per 10 s block.
    let frames = entries.map(\.frames).reduce(0, +)
    #expect((22...26).contains(frames), "\(entries.map(\.frames))")
    let blocks = Dictionary(grouping: entries) { ($0.start / 10).rounded(.down) }
    #expect(blocks.count >= 2 && blocks.values.allSatisfy { $0.count <= 4 })
    for entry in entries {
      let jpeg = try #require(try history.memoryThumbnail(id: entry.id))
      #expect(jpeg.starts(with: [0xFF, 0xD8]), "a JPEG thumbnail")
    }
    #expect(try history.memoryEntries(MemoryQuery(), model: "another model").isEmpty)

    // A text that tells the red stretch (4–8 s into the stream) from the test
    // pattern: the fixture CLIP has random weights, so which phrase does is
    // found here, on the stored entries; search must then return that stretch.
    let start = entries.map(\.start).min()!
    let red = entries.indices.filter { entries[$0].start >= start + 3.9 && entries[$0].end <= start + 7.6 }
    let pattern = entries.indices.filter { entries[$0].end <= start + 3.6 || entries[$0].start >= start + 7.9 }
    #expect(!red.isEmpty && !pattern.isEmpty, "\(entries.map { ($0.start - start, $0.end - start, $0.frames) })")
    var found: (text: String, threshold: Double)?
    for text in ["a plain red wall", "red", "a red photo", "a colour test pattern", "an empty red room", "a fire"] {
      let scorer = try #require(engine.scorer(for: Rule(id: "search", text: [text])))
      let scores = entries.map { scorer.present.score($0.embedding) }
      let (lowestRed, highestPattern) = (red.map { scores[$0] }.min()!, pattern.map { scores[$0] }.max()!)
      if lowestRed > highestPattern {
        found = (text, (lowestRed + highestPattern) / 2)
        break
      }
    }
    let (text, threshold) = try #require(found, "no phrase scores the red stretch above the pattern")

    var listing = SearchListing(text: text)
    listing.threshold = threshold
    listing.thumbnails = directory.appendingPathComponent("thumbnails").path
    listing.json = true
    let lines = try listing.lines(configuration: configuration, engine: engine)
    #expect(lines.count == 1, "one span: \(lines)")
    try SchemaValidation.expectValid(lines, against: "memory-hit", in: directory)
    let hit = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
    let from = try #require(try? WallTime.parse(hit["start"] as? String ?? "", now: 0, option: "start"))
    let to = try #require(try? WallTime.parse(hit["end"] as? String ?? "", now: 0, option: "end"))
    #expect(from >= start + 3.4 && to <= start + 8.6 && to - from >= 2, "\(hit)")
    let thumbnail = try #require(hit["thumbnail"] as? String)
    #expect(FileManager.default.contents(atPath: thumbnail)?.starts(with: [0xFF, 0xD8]) == true)

    listing.json = false
    let table = try listing.lines(configuration: configuration, engine: engine)
    #expect(table.count == 2 && table[0].hasPrefix("FROM (UTC)") && table[1].contains("cam"), "\(table)")
    listing.threshold = 1
    #expect(try listing.lines(configuration: configuration, engine: engine).first?.hasPrefix("no match") == true)

    let usage = try MemoryTool().usage(configuration: configuration)
    #expect(usage.count == 2 && usage[1].split(separator: " ").prefix(2) == ["cam", "\(entries.count)"], "\(usage)")
    var purge = MemoryTool()
    purge.camera = "cam"
    #expect(try purge.purge(configuration: configuration) == "purged \(entries.count) memory entries")
    #expect(
      try MemoryTool().usage(configuration: configuration) == [
        "the memory is empty (is [memory] on, and has the daemon run?)"
      ])
  }

  /// The batched scoring a search uses equals a rule's own score of each entry.
  @Test func batchedScoresEqualTheRuleScore() {
    var random = SplitMix64(seed: 9)
    func vector(_ width: Int) -> [Float] { (0..<width).map { _ in random.nextFloat(in: -1...1) } }
    let score = CalibratedScore(
      positives: [vector(64), vector(64)], negatives: [vector(64)], backgrounds: (0..<6).map { _ in vector(64) },
      logitScale: 10)
    let embeddings = (0..<50).map { _ in vector(64) } + [[Float](repeating: 0, count: 64)]
    let batched = MemorySearch.scores(embeddings, score)
    for (embedding, value) in zip(embeddings, batched) { #expect(abs(value - score.score(embedding)) < 1e-5) }
    #expect(Set(batched.map { ($0 * 100).rounded() }).count > 10, "the scores differ")
  }

  /// Hits are runs of adjacent entries at or above the threshold, cut at
  /// twice the block length and at gaps; best span first.
  @Test func adjacentHitsMergeIntoCappedSpans() {
    func entry(_ id: Int64, _ start: Double, camera: String = "a") -> StoredMemoryEntry {
      StoredMemoryEntry(id: id, camera: camera, region: nil, start: start, end: start + 9.5, frames: 20, embedding: [])
    }
    let entries = [
      entry(1, 0), entry(2, 10), entry(3, 20), entry(4, 30), entry(5, 40),  // a run of five, 50 s
      entry(6, 50), entry(7, 100),  // a gap: never merged
      entry(8, 0, camera: "b"), entry(9, 10, camera: "b"),
    ]
    let scores = [0.6, 0.7, 0.9, 0.6, 0.6, 0.2, 0.8, 0.55, 0.3]
    let hits = MemorySearch.spans(entries, scores: scores, threshold: 0.5, cap: 40, top: 10)
    #expect(hits.map(\.entry) == [3, 7, 5, 8])
    #expect(hits.map(\.start) == [0, 100, 40, 0] && hits.map(\.end) == [39.5, 109.5, 49.5, 9.5])
    #expect(hits.map(\.entries) == [4, 1, 1, 1])
    #expect(MemorySearch.spans(entries, scores: scores, threshold: 0.5, cap: 40, top: 2).count == 2)
  }

  /// The re-ranker reads runs around the first pass's candidates, never
  /// across a camera or a gap; entries outside every run score 0; each
  /// boundary inside a run is a change hit centred on it.
  @Test func rerankerReadsRunsAroundCandidates() throws {
    let reranker = try BidirectionalAdapter(
      file: try SafeTensors(
        path: Repository.root.appendingPathComponent("Tests/Fixtures/mamba/bidirectional.weights.safetensors").path))
    var random = SplitMix64(seed: 4)
    func vector() -> [Float] { (0..<reranker.dModel).map { _ in random.nextFloat(in: -1...1) } }
    // Camera a: 20 entries of 10 s with a 100 s gap before the seventh; camera b: 10 entries.
    var entries: [StoredMemoryEntry] = []
    for i in 0..<30 {
      let (camera, position) = i < 20 ? ("a", i) : ("b", i - 20)
      let start = Double(10 * position + (camera == "a" && position >= 6 ? 100 : 0))
      entries.append(
        StoredMemoryEntry(
          id: Int64(i + 1), camera: camera, region: nil, start: start, end: start + 9.5, frames: 20,
          embedding: vector()))
    }
    var firstPass = [Double](repeating: 0.1, count: entries.count)
    (firstPass[5], firstPass[23]) = (0.9, 0.8)
    let score = CalibratedScore(
      positives: [vector()], negatives: [], backgrounds: (0..<6).map { _ in vector() }, logitScale: 10)
    let answers = MemorySearch.reranked(entries, firstPass: firstPass, by: reranker, score, candidates: 2, radius: 3)
    let runs = [2...5, 20...26]
    for run in runs {
      let outputs = reranker.forward(
        run.flatMap { Embedding.normalisedMean([entries[$0].embedding]) }, length: run.count)
      let width = reranker.dModel
      for (offset, index) in run.enumerated() {
        let expected = score.score(Array(outputs.entries[(offset * width)..<((offset + 1) * width)]))
        #expect(abs(answers.entryScores[index] - expected) < 1e-5)
      }
    }
    for index in entries.indices where !runs.contains(where: { $0.contains(index) }) {
      #expect(answers.entryScores[index] == 0)
    }
    // 3 boundaries in the first run, 6 in the second; a change between entries 3 and 4 (29.5 s, 30 s).
    #expect(answers.changes.count == 9 && answers.changes.allSatisfy { $0.change })
    #expect(answers.changes.map { $0.entry } == [4, 5, 6] + Array(22...27))
    let first = answers.changes[0]
    #expect(first.camera == "a" && first.start == 28.75 && first.end == 30.75 && first.entries == 2)
  }

  /// Two rankings fused by reciprocal rank: a span both list beats spans
  /// only one lists first; each hit keeps its own score; `top` holds.
  @Test func rankingsFuseByRank() {
    func hit(_ start: Double, _ score: Double, change: Bool = false) -> MemoryHit {
      MemoryHit(
        camera: "a", region: nil, start: start, end: start + 2, score: score, entry: Int64(start), entries: 1,
        change: change)
    }
    let first = [hit(0, 0.9), hit(10, 0.8), hit(20, 0.7)]
    let second = [hit(30, 0.99, change: true), hit(20, 0.95), hit(40, 0.9)]
    let fused = MemorySearch.fused([first, second], top: 4)
    // 20 s: ranks 3 and 2 (1/63 + 1/62); then the two firsts (1/61), the better score first; then 10 s (1/62).
    #expect(fused.map(\.start) == [20, 30, 0, 10])
    #expect(fused[0].score == 0.7 && fused[1].change)
    #expect(MemorySearch.fused([first], top: 10).map(\.start) == [0, 10, 20])
  }
}
