import Rules
import Testing

@Suite struct EpisodeTrackerTests {
  typealias Tracker = EpisodeTracker<Int>

  /// Feeds (time, score) pairs, snapshot = index; returns the actions in order as short strings.
  private func run(_ tracker: inout Tracker, _ steps: [(Double, Double)]) -> [String] {
    var log: [String] = []
    for (i, (time, score)) in steps.enumerated() {
      for action in tracker.observe(time: time, score: score, snapshot: i) {
        switch action {
        case .new(let e): log.append("new@\(time) start=\(e.startTime) top=\(e.topScore) snap=\(e.snapshot)")
        case .update(let e): log.append("update@\(time) top=\(e.topScore) snap=\(e.snapshot)")
        case .end(let e):
          log.append("end@\(time) start=\(e.startTime) end=\(e.endTime!) top=\(e.topScore) snap=\(e.snapshot)")
        case .suppressed(let t): log.append("suppressed@\(t)")
        }
      }
    }
    return log
  }

  private func tracker(minDuration: Double = 1, cooldown: Double = 10) -> Tracker {
    return Tracker(settings: .init(threshold: 0.5, minDuration: minDuration, cooldown: cooldown)) { "id" }
  }

  @Test func newAfterMinDurationUpdateOnHigherPeakEndAfterDelay() {
    var t = tracker()
    let log = run(
      &t, [(0, 0.2), (0.5, 0.6), (1.0, 0.7), (1.5, 0.65), (2.0, 0.9), (2.5, 0.91), (3.0, 0.3), (4.0, 0.3), (5.0, 0.2)])
    #expect(
      log == [
        "new@1.5 start=0.5 top=0.7 snap=2",
        "update@2.0 top=0.9 snap=4",
        "end@5.0 start=0.5 end=5.0 top=0.9 snap=4",
      ])
  }

  @Test func blipShorterThanMinDurationIsIgnored() {
    var t = tracker()
    #expect(run(&t, [(0, 0.8), (0.5, 0.9), (0.9, 0.1), (1.5, 0.1)]).isEmpty)
  }

  @Test func dipShorterThanEndDelayKeepsTheEpisodeOpen() {
    var t = tracker(minDuration: 0)
    let log = run(&t, [(0, 0.8), (1, 0.2), (2, 0.8), (3, 0.2), (4, 0.2), (5, 0.2)])
    #expect(log == ["new@0.0 start=0.0 top=0.8 snap=0", "end@5.0 start=0.0 end=5.0 top=0.8 snap=0"])
  }

  @Test func cooldownHoldsOffTheNextEpisode() {
    var t = tracker(minDuration: 0, cooldown: 10)
    let log = run(&t, [(0, 0.9), (1, 0.1), (3, 0.1), (5, 0.9), (6, 0.1), (8, 0.1), (14, 0.9)])
    #expect(
      log == [
        "new@0.0 start=0.0 top=0.9 snap=0", "end@3.0 start=0.0 end=3.0 top=0.9 snap=0",
        "new@14.0 start=14.0 top=0.9 snap=6",
      ])
  }

  @Test func perPeriodCapSuppressesAndCounts() {
    var settings = Tracker.Settings(threshold: 0.5, minDuration: 0, cooldown: 0)
    settings.maxPerPeriod = 2
    settings.period = 100
    settings.endDelay = 0
    var t = Tracker(settings: settings) { "id" }
    let log = run(&t, [(0, 0.9), (1, 0.1), (2, 0.9), (3, 0.1), (4, 0.9), (5, 0.1), (101, 0.9)])
    #expect(log.filter { $0.hasPrefix("new") }.count == 3)
    #expect(log.contains("suppressed@4.0"))
  }

  @Test func maxPerHourZeroLiftsTheCap() {
    var rule = Rule(id: "r", text: ["r"])
    #expect(Tracker.Settings(rule: rule).maxPerPeriod == 10)
    rule.maxPerHour = 0
    var settings = Tracker.Settings(rule: rule)
    settings.endDelay = 0
    settings.minDuration = 0
    settings.cooldown = 0
    var t = Tracker(settings: settings) { "id" }
    var steps: [(Double, Double)] = []
    for episode in 0..<30 { steps += [(Double(2 * episode), 0.9), (Double(2 * episode + 1), 0.1)] }
    #expect(run(&t, steps).filter { $0.hasPrefix("new") }.count == 30)
  }

  @Test func finishClosesAnOpenEpisode() {
    var t = tracker(minDuration: 0)
    _ = run(&t, [(0, 0.9)])
    let actions = t.finish(time: 7)
    guard case .end(let episode)? = actions.first else {
      Issue.record("expected end, got \(actions)")
      return
    }
    #expect(episode.endTime == 7 && !t.isOpen)
    #expect(t.finish(time: 8).isEmpty)
  }

  @Test func randomIDsAreVersion4UUIDs() {
    let id = EpisodeID.random()
    #expect(id.count == 36 && Array(id)[14] == "4" && "89ab".contains(Array(id)[19]))
    #expect(EpisodeID.random() != id)
  }
}
