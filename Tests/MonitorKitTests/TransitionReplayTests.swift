import Core
import Foundation
import Rules
import TestSupport
import Testing

@testable import MonitorKit

/// Transition rules through the daemon's own pipeline, training-free: the
/// embedded model's CLIP without its adapter (multi-horizon pooling) on the
/// demo video, with models/synthetic/transitions ("something" after "an empty
/// scene" for an object coming into view, the reverse for going out of view).
@Suite struct TransitionReplayTests {
  static let model = Repository.root.appendingPathComponent("models/synthetic").path
  static let rulesDirectory = Repository.root.appendingPathComponent("models/synthetic/transitions").path

  static func replay(_ rules: [Rule]) throws -> [AlertEvent] {
    var replay = Replay()
    replay.fps = 4
    let engine = try Engine(clipDirectory: model, temporalFile: nil, precision: .fp32)
    #expect(engine.adapter == nil)
    return try replay.run(url: DemoVideo.path, rules: rules, engine: engine).events.filter { $0.kind == .new }
  }

  @Test func objectsComingIntoAndGoingOutOfViewAreFoundWithWhenBeforeHeld() throws {
    let rules = RuleStore(directory: Self.rulesDirectory).load().rules
    #expect(rules.count == 4 && rules.allSatisfy(\.isTransition))
    let opened = try Self.replay(rules)
    for episode in opened {
      let before = try #require(episode.beforeTime, "\(episode.summary)")
      #expect(before < episode.startTime && episode.startTime - before <= 3, "\(episode.summary)")
    }
    let truth = try DemoVideo.events()
    // A state change cannot tell appearing from entering: "appears" answers both.
    for (rule, actions) in [("appears", ["appears", "enters"]), ("disappears", ["disappears", "leaves"])] {
      let events = truth.filter { actions.contains($0.action) }
      let episodes = opened.filter { $0.rule == rule }
      let found = events.filter { event in
        episodes.contains { $0.startTime >= event.start && $0.startTime <= event.end + 2 }
      }
      #expect(events.count == 5 && found.count >= 4, "\(rule): \(found.count) of \(events.count)")
      #expect(episodes.count <= found.count + 1, "\(rule): \(episodes.map(\.summary))")
    }
  }

  /// The video opens on an empty scene: "an empty scene" alone matches at
  /// once, the transition (something there before) does not.
  @Test func aStateWithoutTheChangeOpensNothing() throws {
    var disappears = try #require(
      RuleStore(directory: Self.rulesDirectory).load().rules.first { $0.id == "disappears" })
    let transition = try Self.replay([disappears])
    disappears.before = []
    let plain = try Self.replay([disappears])
    #expect(plain.contains { $0.startTime < 1 }, "\(plain.map(\.summary))")
    #expect(!transition.contains { $0.startTime < 3 }, "\(transition.map(\.summary))")
  }

  @Test func replayShowsBothScoresOfATransitionRule() throws {
    let child = try ChildProcess(
      try Executables.path("monitor"),
      [
        "replay", DemoVideo.path, "--model", Self.model, "--rules-dir", Self.rulesDirectory, "--fps", "4",
        "--precision",
        "fp32",
      ])
    child.process.waitUntilExit()
    #expect(child.process.terminationStatus == 0, "\(child.log)")
    #expect(child.log.contains("appears:before") && child.log.contains("before \"an empty scene\" within 3.0 s"))
    #expect(child.log.contains("(before held at "), "\(child.log)")
  }
}
