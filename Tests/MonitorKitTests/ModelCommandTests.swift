import Foundation
import TestSupport
import Testing

/// `monitor model` through the real binary, as an operator runs it before
/// pointing `[model] clip` at a directory.
@Suite struct ModelCommandTests {
  @Test func describesTheEmbeddedModelAndTimesIt() throws {
    let run = try Executables.monitor(["model", "--seconds", "0.2", "--json"])
    #expect(run.status == 0, "\(run.output)")
    let json = try #require(run.output.firstIndex(of: "{").map { String(run.output[$0...]) })
    let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    #expect(report["embedding_width"] as? Int == 64 && report["image_size"] as? Int == 64)
    #expect((report["temporal_verdict"] as? String)?.hasPrefix("matches (width 64") == true)
    #expect(report["camera_rate"] as? Double == 4)
    let speeds = try #require(report["speeds"] as? [[String: Any]])
    #expect(!speeds.isEmpty && speeds.allSatisfy { ($0["milliseconds_per_frame"] as? Double ?? 0) > 0 })
    #expect((report["image_parameters"] as? Int ?? 0) > 100_000)
  }

  @Test func aTemporalFileOfAnotherWidthIsNamed() throws {
    let run = try Executables.monitor([
      "model", Repository.root.appendingPathComponent("Tests/Fixtures/clip/models/tiny-quickgelu").path, "--temporal",
      Repository.root.appendingPathComponent("models/synthetic/temporal.safetensors").path, "--seconds", "0",
    ])
    #expect(run.status == 0, "\(run.output)")
    #expect(run.output.contains("does not match: its width is 64, the model's embeddings are"), "\(run.output)")
  }

  @Test func describesASigLIPDirectoryAndTimesIt() throws {
    let run = try Executables.monitor([
      "model", Repository.root.appendingPathComponent("Tests/Fixtures/siglip/models/tiny-siglip").path, "--seconds",
      "0.1", "--json",
    ])
    #expect(run.status == 0, "\(run.output)")
    let json = try #require(run.output.firstIndex(of: "{").map { String(run.output[$0...]) })
    let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    #expect((report["family"] as? String)?.hasPrefix("SigLIP") == true)
    #expect(report["embedding_width"] as? Int == 32 && report["context_length"] as? Int == 16)
    #expect((report["picture"] as? String)?.hasPrefix("squash 32px bilinear") == true, "\(report)")
    #expect(!((report["speeds"] as? [[String: Any]]) ?? []).isEmpty)
  }

  @Test func anUnusableDirectoryIsOneLineNamingTheFile() throws {
    let directory = try Repository.temporaryDirectory("model-command")
    try Data("{}".utf8).write(to: directory.appendingPathComponent("config.json"))
    let run = try Executables.monitor(["model", directory.path, "--seconds", "0"])
    #expect(run.status != 0)
    #expect(run.output.contains("\(directory.path)/model.safetensors: missing or unreadable"), "\(run.output)")
  }
}

/// `replay --json` with a SigLIP model reports SigLIP's own sigmoid probability
/// beside the calibrated score; with CLIP the field is absent.
@Suite struct SigLIPReplayTests {
  private func steps(_ arguments: [String]) throws -> [[String: Any]] {
    let run = try Executables.monitor(
      ["replay", Repository.root.appendingPathComponent("models/synthetic/demo/camera.mp4").path, "--json"]
        + arguments)
    #expect(run.status == 0, "\(run.output)")
    let json = try #require(run.output.firstIndex(of: "{").map { String(run.output[$0...]) })
    let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    return try #require(report["steps"] as? [[String: Any]])
  }

  @Test func siglipReplayReportsItsOwnProbability() throws {
    let siglip = try steps([
      "--model", Repository.root.appendingPathComponent("Tests/Fixtures/siglip/models/tiny-siglip").path, "--rule",
      "a red circle", "--rule", "a person falls",
    ])
    #expect(siglip.count > 100)
    for step in siglip {
      let probabilities = try #require(step["siglip_probability"] as? [Double])
      #expect(probabilities.count == 2 && probabilities.allSatisfy { $0 > 0 && $0 < 1 })
    }
    let clip = try steps(["--rule", "a red circle"])
    #expect(!clip.isEmpty && clip.allSatisfy { $0["siglip_probability"] == nil })
  }
}
