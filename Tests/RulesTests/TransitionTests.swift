import Testing

@testable import Rules

/// Transition rules on a 3-d world where each axis is one state: standing
/// (1, 0, 0), lying on the floor (0, 1, 0), an empty room (0, 0, 1). "falls"
/// is lying with standing before; four frames per second.
struct TransitionTests {
  static let standing: [Float] = [1, 0, 0]
  static let lying: [Float] = [0, 1, 0]
  static let empty: [Float] = [0, 0, 1]

  static func falls(within: Double = 3) -> Rule {
    var rule = Rule(id: "falls", text: ["a person lying on the floor"])
    rule.before = ["a person standing"]
    rule.within = within
    rule.minDuration = 0
    rule.cooldown = 0
    return rule
  }

  static let scorer = RuleScorer(
    positives: [lying], before: [standing], negatives: [], backgrounds: [empty], logitScale: 100)

  /// The episodes `frames` open (four frames per second from t = 0).
  static func episodes(_ frames: [[Float]], rule: Rule = falls()) -> [EpisodeTracker<Int>.Episode] {
    var tracks = RuleTracks<Int>(camera: "hall")
    var opened: [EpisodeTracker<Int>.Episode] = []
    for (index, embedding) in frames.enumerated() {
      let step = tracks.observe(
        rolling: [.whole: [embedding]], time: Double(index) * 0.25, snapshot: { _ in index }, rules: [rule],
        scorer: { _ in scorer })
      for (_, action) in step.actions {
        if case .new(let episode) = action { opened.append(episode) }
      }
    }
    return opened
  }

  static func repeated(_ embedding: [Float], _ count: Int) -> [[Float]] { Array(repeating: embedding, count: count) }

  @Test func standingThenLyingOpensOneEpisodeNamingWhenBeforeHeld() throws {
    let opened = Self.episodes(Self.repeated(Self.standing, 5) + Self.repeated(Self.lying, 8))
    #expect(opened.count == 1)
    let episode = try #require(opened.first)
    let before = try #require(episode.beforeTime)
    #expect(before < episode.startTime && episode.startTime - before <= 3)
  }

  @Test func lyingWithoutStandingBeforeOpensNothing() {
    #expect(Self.episodes(Self.repeated(Self.empty, 5) + Self.repeated(Self.lying, 8)).isEmpty)
    // The time reversal of a fall is getting up: not a fall.
    #expect(Self.episodes(Self.repeated(Self.lying, 8) + Self.repeated(Self.standing, 5)).isEmpty)
    // The same frames opens an episode for the rule without `before`.
    var plain = Self.falls()
    plain.before = []
    #expect(Self.episodes(Self.repeated(Self.empty, 5) + Self.repeated(Self.lying, 8), rule: plain).count == 1)
  }

  @Test func standingLongerAgoThanWithinOpensNothing() {
    // Standing ends 4 s before lying begins.
    let frames = Self.repeated(Self.standing, 3) + Self.repeated(Self.empty, 16) + Self.repeated(Self.lying, 6)
    #expect(Self.episodes(frames, rule: Self.falls(within: 3)).isEmpty)
    #expect(Self.episodes(frames, rule: Self.falls(within: 10)).count == 1)
  }

  @Test func aMatchThatBeganWithoutBeforeNeverOpensLater() {
    // Lying on the floor from the start, then standing is seen once (the
    // match continues): the match began without `before`, so no episode.
    var frames = Self.repeated(Self.lying, 6)
    frames.append(Self.standing)
    frames += Self.repeated(Self.lying, 6)
    let opened = Self.episodes(frames)
    // One standing frame is smoothed away (median of three): the lying match never ends.
    #expect(opened.isEmpty)
  }

  @Test func eachFallIsOneEpisode() {
    let fall = Self.repeated(Self.standing, 4) + Self.repeated(Self.lying, 6)
    // Three seconds empty: the first episode ends (2 s below the threshold) before the second fall.
    #expect(Self.episodes(fall + Self.repeated(Self.empty, 12) + fall).count == 2)
  }

  @Test func theGateIgnoresBeforeAtTheMatchsOwnFrame() {
    var gate = TransitionGate(within: 3)
    // Both hold at once on the first frame: no earlier frame showed `before`.
    #expect(gate.observe(time: 0, beforeHolds: true, matches: true).mayOpen == false)
    #expect(gate.observe(time: 1, beforeHolds: true, matches: true).mayOpen == false)
    #expect(gate.observe(time: 2, beforeHolds: false, matches: false).mayOpen == false)
    let next = gate.observe(time: 3, beforeHolds: false, matches: true)
    #expect(next.mayOpen && next.beforeHeld == 1)
    // A match continues with the verdict it began with, however long it lasts.
    #expect(gate.observe(time: 60, beforeHolds: false, matches: true).beforeHeld == 1)
    #expect(gate.lastHeld == 1)
  }
}
