import Core
import Testing

@testable import Rules

/// The snapshot is rendered lazily: a conversion costs the inference thread,
/// so a frame no episode keeps must never be rendered, and a frame several
/// rules keep is rendered once.
struct RuleTracksTests {
  final class Counter: @unchecked Sendable {
    var renders = 0

    func render(_ frame: Int) -> Int {
      renders += 1
      return frame
    }
  }

  /// Two rules on a 2-d embedding: "on" matches (1, 0), "off" matches (0, 1).
  static let scorers: [String: RuleScorer] = [
    "on": RuleScorer(positives: [[1, 0]], before: [], negatives: [[0, 1]], backgrounds: [], logitScale: 100),
    "also-on": RuleScorer(positives: [[1, 0]], before: [], negatives: [[0, 1]], backgrounds: [], logitScale: 100),
  ]

  static func run(_ embeddings: [[Float]], counter: Counter) -> [Int] {
    var tracks = RuleTracks<Int>(camera: "cam")
    let rules = ["on", "also-on"].map { Rule(id: $0, text: [$0]) }
    var rendersPerStep: [Int] = []
    for (index, embedding) in embeddings.enumerated() {
      let before = counter.renders
      _ = tracks.observe(
        rolling: [.whole: [embedding]], time: Double(index), snapshot: { _ in counter.render(index) }, rules: rules,
        scorer: { scorers[$0.id] })
      rendersPerStep.append(counter.renders - before)
    }
    return rendersPerStep
  }

  @Test func noFrameIsRenderedWhileNoRuleMatches() {
    let counter = Counter()
    #expect(Self.run(Array(repeating: [0, 1], count: 20), counter: counter) == Array(repeating: 0, count: 20))
  }

  @Test func aFrameTwoRulesKeepIsRenderedOnce() {
    let counter = Counter()
    let steps = Self.run(Array(repeating: [0, 1], count: 5) + Array(repeating: [1, 0], count: 5), counter: counter)
    #expect(steps.allSatisfy { $0 <= 1 })
    #expect(steps.prefix(5).allSatisfy { $0 == 0 })
    #expect(counter.renders >= 1)
  }

  /// A rule watching regions is scored per region: it opens when the thing
  /// happens in one of them (the score and the kept frame are that region's),
  /// not when it happens in the whole frame or a region it does not watch;
  /// a region this frame lacks is skipped, and a rule naming only regions the
  /// camera lacks is never scored.
  @Test func regionRulesFollowTheirBestRegion() {
    var tracks = RuleTracks<String>(camera: "cam", regions: ["bed", "door", "sofa"])
    var inBed = Rule(id: "on", text: ["on"])
    inBed.regions = ["bed", "door"]
    inBed.minDuration = 0
    var elsewhere = Rule(id: "also-on", text: ["also-on"])
    elsewhere.regions = ["garden"]
    var opened: [(rule: String, snapshot: String)] = []
    var regions: [String?] = []
    for index in 0..<12 {
      // The match moves: whole frame only, then the sofa (not watched), then the door.
      let match: CameraView = index < 4 ? .whole : index < 8 ? .region("sofa") : .region("door")
      var rolling: [CameraView: [[Float]]] = [:]
      for view in [CameraView.whole, .region("bed"), .region("sofa"), .region("door")] {
        rolling[view] = [view == match ? [1, 0] : [0, 1]]
      }
      if index == 9 { rolling[.region("bed")] = nil }
      let step = tracks.observe(
        rolling: rolling, time: Double(index), snapshot: { "\($0)@\(index)" }, rules: [inBed, elsewhere],
        scorer: { Self.scorers[$0.id] })
      #expect(step.scores.map(\.rule) == ["on"])
      regions += step.scores.map(\.region)
      for (rule, action) in step.actions {
        if case .new(let episode) = action { opened.append((rule.id, episode.snapshot)) }
      }
    }
    #expect(opened.count == 1 && opened.first?.rule == "on")
    #expect(opened.first?.snapshot.hasPrefix("region 'door'@") == true)
    #expect(regions.count == 12 && regions.suffix(4).allSatisfy { $0 == "door" })
  }
}
