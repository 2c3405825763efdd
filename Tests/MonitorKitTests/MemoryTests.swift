import Config
import Core
import Foundation
import History
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
}
