import CLIP
import Foundation
import ModelIO
import Tensor
import TestSupport
import Testing

/// On demand, not in CI: the full ViT-B/32 architecture with random weights,
/// made by `tools/fixtures/make_clip_fixtures.sh --full DIR` (about 600 MB), compared
/// with transformers the same way as the tiny checkpoints. Run with
/// `MONITOR_CLIP_FULL_DIR=DIR swift test -c release -Xswiftc -enable-testing --scratch-path .build-testable
/// --filter FullArchitectureTests` (the test targets use @testable imports).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["MONITOR_CLIP_FULL_DIR"] != nil))
struct FullArchitectureTests {
  @Test func vitB32MatchesTransformers() throws {
    let directory = ProcessInfo.processInfo.environment["MONITOR_CLIP_FULL_DIR"]!
    var model = try CLIPModel(directory: directory)
    #expect(model.config == CLIPConfig.vitB32)
    let json = try JSONDecoder().decode(
      CLIPModelTests.Reference.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/reference.json")))
    let reference = try SafeTensors(path: directory + "/reference.safetensors")
    let frames = try CLIPModelTests.frames(reference, size: 224)
    let images = try reference.tensor("image_embeds")
    let dim = images.shape[1]
    for (i, embedding) in model.embed(frames: frames).enumerated() {
      let (maxAbs, cosine) = CLIPModelTests.check(embedding, images.scalars[(i * dim)..<((i + 1) * dim)])
      #expect(maxAbs <= 1e-4 && cosine >= 0.99999, "image \(i): max abs \(maxAbs), cosine \(cosine)")
    }
    let texts = try reference.tensor("text_embeds")
    for (i, text) in json.texts.enumerated() {
      #expect(model.tokenizer.encode(text) == json.input_ids[i])
      let (maxAbs, cosine) = CLIPModelTests.check(model.embed(text: text), texts.scalars[(i * dim)..<((i + 1) * dim)])
      #expect(maxAbs <= 1e-4 && cosine >= 0.99999, "text \(i): max abs \(maxAbs), cosine \(cosine)")
    }
  }

  /// The same checkpoint in int8 and bf16 against transformers' fp32 embeddings.
  @Test(arguments: [Precision.int8, .bf16])
  func vitB32InReducedPrecisionStaysWithinCosine0998(precision: Precision) throws {
    let directory = ProcessInfo.processInfo.environment["MONITOR_CLIP_FULL_DIR"]!
    var model = try CLIPModel(directory: directory, precision: precision)
    let json = try JSONDecoder().decode(
      CLIPModelTests.Reference.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/reference.json")))
    let reference = try SafeTensors(path: directory + "/reference.safetensors")
    let images = try reference.tensor("image_embeds")
    let dim = images.shape[1]
    for (i, embedding) in model.embed(frames: try CLIPModelTests.frames(reference, size: 224)).enumerated() {
      let cosine = CLIPModelTests.check(embedding, images.scalars[(i * dim)..<((i + 1) * dim)]).cosine
      print("\(precision) image \(i): cosine to transformers \(cosine)")
      #expect(cosine >= 0.998, "image \(i): cosine \(cosine)")
    }
    let texts = try reference.tensor("text_embeds")
    for (i, text) in json.texts.enumerated() {
      let cosine = CLIPModelTests.check(model.embed(text: text), texts.scalars[(i * dim)..<((i + 1) * dim)]).cosine
      print("\(precision) text \(i): cosine to transformers \(cosine)")
      #expect(cosine >= 0.998, "text \(i): cosine \(cosine)")
    }
  }
}
