import CLIP
import Foundation
import Tensor
import TestSupport
import Testing

@testable import MonitorKit

/// int8 and bf16 on the embedded model and the load-time choice of a precision.
@Suite struct PrecisionTests {
  static let rules = Repository.root.appendingPathComponent("models/synthetic/rules").path

  static func embedded(_ precision: Configuration.ModelPrecision, log: (String) -> Void = { _ in }) throws -> Engine {
    try Engine(clipDirectory: nil, temporalFile: nil, precision: precision, log: log)
  }

  @Test(arguments: [Configuration.ModelPrecision.int8, .bf16])
  func embeddedModelAgreesWithFP32OnTheCheckInputs(precision: Configuration.ModelPrecision) throws {
    var reduced = try Self.embedded(precision).clip
    var fp32 = try Self.embedded(.fp32).clip
    let agreement = PrecisionChoice.compare(&reduced, with: &fp32)
    // The demo's nine check frames, four generated pictures, 13 phrases twice.
    #expect(agreement.inputs == 9 + 4 + 26)
    #expect(agreement.cosine >= 0.998, "\(agreement)")
  }

  /// The same episodes in int8 and bf16 as in fp32 on the demo video, to within one frame.
  @Test(arguments: [Configuration.ModelPrecision.int8, .bf16])
  func reducedPrecisionReplaysTheDemoLikeFP32(precision: Configuration.ModelPrecision) throws {
    let rules = RuleStore(directory: Self.rules).load().rules
    var replay = Replay()
    replay.fps = 4
    func episodes(_ precision: Configuration.ModelPrecision) throws -> [(rule: String, kind: String, time: Double)] {
      try replay.run(url: DemoVideo.path, rules: rules, engine: try Self.embedded(precision)).events
        .filter { $0.kind != .update }.map { ($0.rule, $0.kind.rawValue, $0.frameTime) }
        .sorted { ($0.rule, $0.kind, $0.time) < ($1.rule, $1.kind, $1.time) }
    }
    let (fp32, reduced) = (try episodes(.fp32), try episodes(precision))
    #expect(fp32.count >= 20 && fp32.count == reduced.count, "fp32 \(fp32.count) events, \(precision) \(reduced.count)")
    for (a, b) in zip(fp32, reduced) {
      #expect(a.rule == b.rule && a.kind == b.kind && abs(a.time - b.time) <= 0.25 + 1e-9, "\(a) vs \(b)")
    }
  }

  @Test func autoTakesInt8OnThisCPUAndSaysWhy() throws {
    var lines: [String] = []
    let engine = try Self.embedded(.auto) { lines.append($0) }
    #expect(engine.clip.precision == .int8 && engine.modelName == "synthetic+mamba+int8")
    #expect(lines.count == 1 && lines[0].hasPrefix("model: int8 (worst cosine to fp32 0.99"), "\(lines)")
  }

  @Test func autoTriesInt8ThenBF16ThenFP32InAFixedOrder() {
    // Every CI machine is AVX2 x86-64 (int8); AVX-512 BF16 adds bf16 after it.
    let expected: [Precision] = BFloat16Linear.Variant.avx512.isSupported ? [.int8, .bf16] : [.int8]
    #expect(PrecisionChoice.autoCandidates == expected)
  }

  @Test(.enabled(if: BFloat16Linear.Variant.avx512.isSupported))
  func autoTakesBF16WhenInt8FailsItsCheck() throws {
    let embedded: (Precision) throws -> CLIPModel = { precision in
      var model = try EmbeddedModel.withFiles(EmbeddedModel.clipFiles) {
        try CLIPModel(directory: $0, precision: precision)
      }
      // A broken int8: another image tower's weights.
      if precision == .int8 { model.images = ImageEncoder(random: model.config, seed: 3, precision: .int8) }
      return model
    }
    var lines: [String] = []
    let model = try PrecisionChoice.load(.auto, log: { lines.append($0) }, embedded)
    #expect(model.precision == .bf16)
    #expect(lines.count == 1, "\(lines)")
    #expect(lines[0].hasPrefix("model: bf16 (worst cosine to fp32 "), "\(lines)")
    #expect(lines[0].contains("; int8 failed its accuracy check (worst cosine to fp32"), "\(lines)")
  }

  @Test func aFailedCheckFallsBackToFP32UnlessAReducedPrecisionWasAskedFor() throws {
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
    // Each candidate tried is named with its own figures.
    for candidate in PrecisionChoice.autoCandidates {
      #expect(autoLog[0].contains("\(candidate) failed its accuracy check (worst cosine"), "\(autoLog)")
    }
    for precision in [Configuration.ModelPrecision.int8, .bf16] {
      let (model, lines) = try load(precision)
      #expect(model.precision.rawValue == precision.rawValue)
      #expect(lines.count == 1 && lines[0].contains("as configured, although"), "\(lines)")
    }
    let (fp32, fp32Log) = try load(.fp32)
    #expect(fp32.precision == .fp32 && fp32Log.isEmpty)
  }
}
