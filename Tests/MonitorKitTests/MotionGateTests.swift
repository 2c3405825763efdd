import Core
import Foundation
import MonitorKit
import Rules
import TestSupport
import Testing

/// The motion gate at an operator's defaults: still frames are not embedded
/// but still step the temporal model (with the camera's last embedding) and
/// the rules, so a trained adapter sees its frames at the rate it was trained
/// at. Before, still frames were skipped altogether and the embedded model,
/// trained at 4 fps only, found 10 of the demo's 15 events.
@Suite struct MotionGateTests {

  @Test func theDemoAtDefaultSettingsFindsItsEvents() throws {
    let engine = try Engine(clipDirectory: nil, temporalFile: nil, precision: .fp32)
    var replay = Replay()
    replay.fps = nil  // the model's own rate, as a camera without fps
    replay.motionGate = true
    let rules = RuleStore(directory: Repository.root.appendingPathComponent("models/synthetic/rules").path).load().rules
    let result = try replay.run(url: DemoVideo.path, rules: rules, engine: engine)
    // Every sampled frame is scored; only the moving ones went through CLIP.
    #expect(result.steps.count == result.frames && result.frames > 280)
    #expect(result.embedded < result.frames - 20, "\(result.embedded) of \(result.frames) embedded")
    let truth = try DemoVideo.events()
    let opened = result.events.filter { $0.kind == .new }
    let found = truth.filter { event in
      opened.contains {
        $0.rule == event.action.replacingOccurrences(of: " ", with: "-") && $0.startTime >= event.start
          && $0.startTime <= event.end + 2
      }
    }
    #expect(found.count >= 13, "\(found.count) of \(truth.count) found")
  }
}
