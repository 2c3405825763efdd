import CLIP
import Foundation
import Tensor
import TestSupport
import Testing

@testable import MonitorKit

/// int8 on the embedded model and the load-time choice of a precision.
@Suite struct PrecisionTests {
  static let rules = Repository.root.appendingPathComponent("models/synthetic/rules").path

  static func embedded(_ precision: Configuration.ModelPrecision, log: (String) -> Void = { _ in }) throws -> Engine {
    try Engine(clipDirectory: nil, temporalFile: nil, precision: precision, log: log)
  }

  @Test func embeddedModelInInt8AgreesWithFP32OnTheCheckInputs() throws {
    var int8 = try Self.embedded(.int8).clip
    var fp32 = try Self.embedded(.fp32).clip
    let agreement = PrecisionChoice.compare(&int8, with: &fp32)
    // The demo's nine check frames, four generated pictures, 13 phrases twice.
    #expect(agreement.inputs == 9 + 4 + 26)
    #expect(agreement.cosine >= 0.998, "\(agreement)")
  }

  /// The same episodes in int8 as in fp32 on the demo video, to within one frame.
  @Test func int8ReplaysTheDemoLikeFP32() throws {
    let rules = RuleStore(directory: Self.rules).load().rules
    var replay = Replay()
    replay.fps = 4
    func episodes(_ precision: Configuration.ModelPrecision) throws -> [(rule: String, kind: String, time: Double)] {
      try replay.run(url: DemoVideo.path, rules: rules, engine: try Self.embedded(precision)).events
        .filter { $0.kind != .update }.map { ($0.rule, $0.kind.rawValue, $0.frameTime) }
        .sorted { ($0.rule, $0.kind, $0.time) < ($1.rule, $1.kind, $1.time) }
    }
    let (fp32, int8) = (try episodes(.fp32), try episodes(.int8))
    #expect(fp32.count >= 20 && fp32.count == int8.count, "fp32 \(fp32.count) events, int8 \(int8.count)")
    for (a, b) in zip(fp32, int8) {
      #expect(a.rule == b.rule && a.kind == b.kind && abs(a.time - b.time) <= 0.25 + 1e-9, "\(a) vs \(b)")
    }
  }

  @Test func autoTakesInt8OnThisCPUAndSaysWhy() throws {
    var lines: [String] = []
    let engine = try Self.embedded(.auto) { lines.append($0) }
    #expect(engine.clip.precision == .int8 && engine.modelName == "synthetic+mamba+int8")
    #expect(lines.count == 1 && lines[0].hasPrefix("model: int8 (worst cosine to fp32 0.99"), "\(lines)")
  }

  @Test func aFailedCheckFallsBackToFP32UnlessInt8WasAskedFor() throws {
    func load(_ setting: Configuration.ModelPrecision) throws -> (CLIPModel, [String]) {
      var lines: [String] = []
      // No model reaches a cosine of 2: the check always fails.
      let embedded: (Precision) throws -> CLIPModel = { precision in
        try EmbeddedModel.withFiles(EmbeddedModel.clipFiles) { try CLIPModel(directory: $0, precision: precision) }
      }
      let model = try PrecisionChoice.load(setting, minimumCosine: 2, log: { lines.append($0) }, embedded)
      return (model, lines)
    }
    let (auto, autoLog) = try load(.auto)
    #expect(auto.precision == .fp32)
    #expect(autoLog.count == 1 && autoLog[0].hasPrefix("model: fp32: int8 failed its accuracy check"), "\(autoLog)")
    let (int8, int8Log) = try load(.int8)
    #expect(int8.precision == .int8)
    #expect(int8Log.count == 1 && int8Log[0].contains("as configured, although"), "\(int8Log)")
    let (fp32, fp32Log) = try load(.fp32)
    #expect(fp32.precision == .fp32 && fp32Log.isEmpty)
  }
}
