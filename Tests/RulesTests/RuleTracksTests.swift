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
        rolling: [embedding], time: Double(index), snapshot: counter.render(index), rules: rules,
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
}
