import Foundation
import MonitorKit
import Rules
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

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

  /// A camera without `fps` samples at the temporal model's rate; a rate
  /// the trained adapter never saw is a warning naming both.
  @Test func cameraRateDefaultsToTheTemporalModelsAndOthersAreWarnedAbout() throws {
    let embedded = try Engine(clipDirectory: nil, temporalFile: nil)
    #expect(embedded.nominalRate == 4)
    #expect(embedded.rateWarning(camera: "hall", fps: 4) == nil)
    #expect(
      embedded.rateWarning(camera: "hall", fps: 2)
        == "camera 'hall': fps 2 is outside the rates the temporal model was trained at (4 fps): its scores may be off; "
        + "leave fps out to sample at 4 fps")
    let pooling = try Engine(clipDirectory: DaemonTests.model, temporalFile: nil)
    #expect(pooling.nominalRate == 2 && pooling.rateWarning(camera: "hall", fps: 0.5) == nil)
  }

  /// The embedded model brings its search re-ranker; a CLIP directory has
  /// none unless `[model] retrospective` names one, and one of another width
  /// is refused naming the file.
  @Test func retrospectiveReRankerComesWithTheEmbeddedModel() throws {
    let embedded = try Engine(clipDirectory: nil, temporalFile: nil)
    #expect(embedded.retrospective?.dModel == 64 && embedded.retrospective?.trainedBlockSeconds == 120)
    #expect(try Engine(clipDirectory: DaemonTests.model, temporalFile: nil).retrospective == nil)
    // The memory it was trained on: other [memory] settings are a warning naming both and the fix.
    var memory = Configuration.Memory()
    #expect(embedded.retrospectiveWarning(memory: memory) == nil)
    memory.blockSeconds = 300
    #expect(
      embedded.retrospectiveWarning(memory: memory)
        == "[memory] stores blocks of 300 s × 8 entries, but the search's re-ranker was trained on 120 s × 8 entries: "
        + "its answers may be off; train one for these (tools/train-adapter --retrospective --block-seconds 300 "
        + "--entries 8)")
    memory.enabled = false
    #expect(embedded.retrospectiveWarning(memory: memory) == nil)
    let other = Repository.root.appendingPathComponent("Tests/Fixtures/mamba/bidirectional.weights.safetensors").path
    #expect {
      _ = try Engine(clipDirectory: nil, temporalFile: nil, retrospectiveFile: other)
    } throws: { error in
      "\(error)".contains("bidirectional.weights.safetensors") && "\(error)".contains("width 24")
    }
  }

  @Test func scorerIsCachedUntilTheTextChanges() throws {
    let engine = try Engine(clipDirectory: DaemonTests.model, temporalFile: nil)
    var rule = Rule(id: "cached", text: ["a dog"])
    let first = try #require(engine.scorer(for: rule))
    rule.threshold = 0.9  // not a scoring input
    #expect(engine.scorer(for: rule)?.present.prototype == first.present.prototype)
    rule.text = ["a cat"]
    #expect(engine.scorer(for: rule)?.present.prototype != first.present.prototype)
    #expect(engine.scorer(for: rule)?.before == nil)
    // `before` is a scoring input: a transition rule gets both halves, each the other's contrast.
    rule.before = ["a dog"]
    let transition = try #require(engine.scorer(for: rule))
    let before = try #require(transition.before)
    #expect(transition.present.contrasts.contains(before.prototype))
    #expect(before.contrasts.contains(transition.present.prototype))
  }

  /// H3: an example that never answers (an unreachable RTSP URL retried
  /// forever, a FIFO blocking in open, a device that never ends) froze the
  /// inference thread of every camera. Only regular local files are opened.
  @Test(.timeLimit(.minutes(1))) func h3ExamplesThatCouldBlockAreRefusedAtOnce() throws {
    let directory = try Repository.temporaryDirectory("examples")
    let fifo = directory.appendingPathComponent("example.fifo").path
    #expect(mkfifo(fifo, 0o600) == 0)
    let engine = try Engine(clipDirectory: DaemonTests.model, temporalFile: nil)
    let cases = [
      (
        "rtsp://u:pw@127.0.0.1:9/x",
        "rtsp://u:***@127.0.0.1:9/x: example image: an example must be a local image file, not a stream or device"
      ),
      ("lavfi:testsrc", "lavfi:testsrc: example image: an example must be a local image file, not a stream or device"),
      (fifo, "\(fifo): example image: not a regular file (a FIFO, device or directory)"),
      ("/dev/zero", "/dev/zero: example image: not a regular file (a FIFO, device or directory)"),
    ]
    for (index, (path, message)) in cases.enumerated() {
      var rule = Rule(id: "example-\(index)", text: ["a dog"])
      rule.examples = [path]
      #expect(engine.scorer(for: rule) == nil)
      let problem = engine.takeProblems().first ?? "none"
      #expect(problem.hasSuffix(message), "\(problem)")
    }
  }

  /// The daemon decodes examples when the rules change (watcher thread); the
  /// scorer, on the inference thread, then only reads them.
  @Test func preparedExamplesAreNotOpenedAgain() throws {
    let directory = try Repository.temporaryDirectory("examples")
    let image = try TestVideos.still(width: 64, height: 48, format: "png", in: directory)
    let engine = try Engine(clipDirectory: DaemonTests.model, temporalFile: nil)
    var rule = Rule(id: "with-example", text: ["a dog"])
    rule.examples = [image.path]
    engine.examples.prepare(for: [rule])
    try FileManager.default.removeItem(at: image)
    #expect(engine.scorer(for: rule) != nil)
    #expect(engine.takeProblems().isEmpty)
  }
}
