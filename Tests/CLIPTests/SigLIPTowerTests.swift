import Core
import Foundation
import ModelIO
import Tensor
import TestSupport
import Testing

@testable import CLIP

/// SigLIP's towers against transformers' SiglipModel on tiny random
/// checkpoints (tools/fixtures/make_siglip_fixtures.py): attention-pooling
/// head, patch bias, bidirectional text tower pooled at the last position,
/// both GELU variants, odd head counts, a text tower narrower than the vision
/// one. Token ids come from transformers, so the towers are checked alone.
@Suite struct SigLIPTowerTests {
  static let models = ["tiny-siglip", "tiny-siglip-odd", "tiny-siglip2"]
  static let root = Repository.root.appendingPathComponent("Tests/Fixtures/siglip/models").path

  struct Reference: Decodable {
    var texts: [String]
    // swift-format-ignore: AlwaysUseLowerCamelCase
    var input_ids: [[Int32]]
    // swift-format-ignore: AlwaysUseLowerCamelCase
    var logit_scale: Float
    // swift-format-ignore: AlwaysUseLowerCamelCase
    var logit_bias: Float
  }

  static func load(_ name: String) throws -> (CLIPConfig, SafeTensors, Reference, SafeTensors) {
    let directory = root + "/" + name
    let json = try JSONDecoder().decode(
      Reference.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/reference.json")))
    return (
      try CLIPConfig(contentsOf: directory + "/config.json"), try SafeTensors(path: directory + "/model.safetensors"),
      json, try SafeTensors(path: directory + "/reference.safetensors")
    )
  }

  @Test func configurationIsReadAsSigLIP() throws {
    let (config, _, _, _) = try Self.load("tiny-siglip")
    #expect(config.family == .siglip)
    #expect(config.vision.activation == .geluTanh && config.text.activation == .geluTanh)
    #expect(config.visionTokens == 16 && config.projectionDim == 32 && config.contextLength == 16)
    let odd = try Self.load("tiny-siglip-odd").0
    #expect(odd.text.hiddenSize == 21 && odd.projectionDim == 30 && odd.vision.activation == .gelu)
  }

  @Test(arguments: models)
  func imageEmbeddingsMatchTransformers(name: String) throws {
    let (config, weights, _, reference) = try Self.load(name)
    let processing = try CLIPFiles.imageProcessing(
      Self.root + "/" + name + "/preprocessor_config.json", imageSize: config.imageSize)
    #expect(processing.geometry.resize == .squash && processing.geometry.filter == .bilinear)
    var encoder = try ImageEncoder(
      file: weights, config: config, preprocessing: Preprocessing(mean: processing.mean, std: processing.std),
      precision: .fp32)
    let frames = try CLIPModelTests.frames(reference, size: config.imageSize)
    let expected = try reference.tensor("image_embeds")
    let dim = expected.shape[1]
    #expect(dim == encoder.embeddingSize)
    let batched = encoder.encode(frames)
    for (i, embedding) in batched.enumerated() {
      let (maxAbs, cosine) = CLIPModelTests.check(embedding, expected.scalars[(i * dim)..<((i + 1) * dim)])
      #expect(maxAbs <= 1e-4 && cosine >= 0.99999, "\(name) image \(i): max abs \(maxAbs), cosine \(cosine)")
    }
    for (i, frame) in frames.enumerated() {
      let single = encoder.encode([frame])[0]
      #expect(zip(single, batched[i]).allSatisfy { abs($0 - $1) <= 1e-5 })
    }
  }

  @Test(arguments: models)
  func textEmbeddingsMatchTransformers(name: String) throws {
    let (config, weights, json, reference) = try Self.load(name)
    var encoder = try TextEncoder(file: weights, config: config, precision: .fp32)
    let expected = try reference.tensor("text_embeds")
    let dim = expected.shape[1]
    let batched = encoder.encode(batch: json.input_ids)
    for (i, ids) in json.input_ids.enumerated() {
      let single = encoder.encode(ids: ids)
      for embedding in [single, batched[i]] {
        let (maxAbs, cosine) = CLIPModelTests.check(embedding, expected.scalars[(i * dim)..<((i + 1) * dim)])
        #expect(
          maxAbs <= 1e-4 && cosine >= 0.99999,
          "\(name) text \(json.texts[i].debugDescription): max abs \(maxAbs), cosine \(cosine)")
      }
    }
  }

  /// Through `CLIPModel(directory:)` as the daemon loads it: spiece.model,
  /// squash resize, ids from SigLIP's tokenizer, and SigLIP's own sigmoid
  /// probabilities from the learned scale and bias.
  @Test(arguments: models)
  func wholeDirectoryLoadsAndMatchesTransformers(name: String) throws {
    let (_, _, json, reference) = try Self.load(name)
    var model = try CLIPModel(directory: Self.root + "/" + name)
    #expect(model.geometry.resize == .squash)
    #expect(abs(model.logitScale - json.logit_scale) <= 1e-4 * json.logit_scale)
    #expect(model.logitBias == json.logit_bias)
    let texts = try reference.tensor("text_embeds")
    let dim = texts.shape[1]
    var textEmbeddings: [[Float]] = []
    for (i, text) in json.texts.enumerated() {
      #expect(model.tokenizer.encode(text) == json.input_ids[i], "\(name) tokens of \(text.debugDescription)")
      textEmbeddings.append(model.embed(text: text))
      let (maxAbs, cosine) = CLIPModelTests.check(textEmbeddings[i], texts.scalars[(i * dim)..<((i + 1) * dim)])
      #expect(maxAbs <= 1e-4 && cosine >= 0.99999, "\(name) text \(text.debugDescription): \(maxAbs), \(cosine)")
    }
    let images = model.embed(frames: try CLIPModelTests.frames(reference, size: model.config.imageSize))
    let probabilities = try reference.tensor("probabilities")
    for (i, image) in images.enumerated() {
      for (t, text) in textEmbeddings.enumerated() {
        let logit = model.logitScale * zip(image, text).reduce(0) { $0 + $1.0 * $1.1 } + model.logitBias!
        let expected = probabilities.scalars[i * textEmbeddings.count + t]
        #expect(abs(1 / (1 + expf(-logit)) - expected) <= 1e-4, "\(name) image \(i) text \(t)")
      }
    }
  }
}
