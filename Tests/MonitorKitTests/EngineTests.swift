import MonitorKit
import Rules
import TestSupport
import Testing

@Suite struct EngineTests {
  /// A rule whose example image does not decode is skipped and reported once,
  /// not re-tried on every frame; fixing the rule brings it back.
  @Test func unscorableRuleIsReportedOnceAndRecovers() throws {
    let engine = try Engine(clipDirectory: DaemonTests.model, temporalFile: nil)
    var rule = Rule(id: "with-example", text: ["a dog"])
    rule.examples = ["/nonexistent/dog.jpg"]
    #expect(engine.scorer(for: rule) == nil)
    let problems = engine.takeProblems()
    #expect(problems.count == 1)
    #expect(
      problems.first?.hasPrefix("rule 'with-example' cannot be scored and is skipped: /nonexistent/dog.jpg:") == true)
    #expect(engine.scorer(for: rule) == nil)
    #expect(engine.takeProblems().isEmpty)
    rule.examples = []
    #expect(engine.scorer(for: rule) != nil)
    #expect(engine.takeProblems().isEmpty)
  }

  @Test func scorerIsCachedUntilTheTextChanges() throws {
    let engine = try Engine(clipDirectory: DaemonTests.model, temporalFile: nil)
    var rule = Rule(id: "cached", text: ["a dog"])
    let first = try #require(engine.scorer(for: rule))
    rule.threshold = 0.9  // not a scoring input
    #expect(engine.scorer(for: rule)?.prototype == first.prototype)
    rule.text = ["a cat"]
    #expect(engine.scorer(for: rule)?.prototype != first.prototype)
  }
}
