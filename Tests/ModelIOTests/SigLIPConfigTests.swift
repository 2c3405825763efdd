import Foundation
import ModelIO
import TestSupport
import Testing

/// `config.json` of the SigLIP family: its defaults, and what is refused with the field named.
@Suite struct SigLIPConfigTests {
  private func config(_ json: [String: Any]) throws -> CLIPConfig {
    let url = try Repository.temporaryDirectory("siglip-config").appendingPathComponent("config.json")
    try JSONSerialization.data(withJSONObject: json).write(to: url)
    return try CLIPConfig(contentsOf: url.path)
  }

  private func error(_ json: [String: Any]) -> String {
    do {
      _ = try config(json)
      return "loaded"
    } catch {
      return "\(error)"
    }
  }

  @Test func siglipDefaultsAreBasePatch16At224() throws {
    let base = try config(["model_type": "siglip"])
    #expect(base.family == .siglip && base.patchSize == 16 && base.imageSize == 224 && base.visionTokens == 196)
    #expect(base.contextLength == 64 && base.vocabularySize == 32000 && base.projectionDim == 768)
    #expect(base.vision.activation == .geluTanh && base.text.layerNormEps == 1e-6)
    // transformers writes SiglipTextConfig's default eos_token_id (CLIP's 49407) into SigLIP configs; it is never read.
    #expect(try config(["model_type": "siglip", "text_config": ["eos_token_id": 49407]]).family == .siglip)
    let clip = try config([:])
    #expect(clip.family == .clip && clip.visionTokens == 50 && clip.contextLength == 77 && clip.projectionDim == 512)
  }

  @Test func unknownFamiliesAndHeadlessOrMismatchedTowersAreRefused() {
    #expect(error(["model_type": "blip"]).contains("model_type 'blip' is not supported"))
    #expect(
      error(["model_type": "siglip", "vision_config": ["vision_use_head": false]]).contains("vision_use_head"))
    #expect(
      error(["model_type": "siglip", "text_config": ["projection_size": 512]])
        .contains("projection_size 512 differs from vision_config.hidden_size 768"))
    #expect(error(["vision_config": ["hidden_act": "relu"]]).contains("hidden_act 'relu' is not supported"))
  }
}
