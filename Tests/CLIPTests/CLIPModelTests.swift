import CLIP
import Core
import Foundation
import ModelIO
import Tensor
import TestSupport
import Testing

/// The Swift towers against transformers' CLIPModel on the same tiny random
/// checkpoints (tools/fixtures/make_clip_fixtures.py): odd head counts, quick_gelu and
/// gelu, image sizes not a multiple of 32, both end-token pooling rules.
@Suite struct CLIPModelTests {
  static let models = ["tiny-quickgelu", "tiny-gelu", "tiny-odd"]
  static let root = Repository.root.appendingPathComponent("Tests/Fixtures/clip/models").path

  struct Reference: Decodable {
    var texts: [String]
    // swift-format-ignore: AlwaysUseLowerCamelCase
    var input_ids: [[Int32]]
    // swift-format-ignore: AlwaysUseLowerCamelCase
    var logit_scale: Float
  }

  static func load(_ name: String) throws -> (CLIPModel, Reference, SafeTensors) {
    let directory = root + "/" + name
    let model = try CLIPModel(directory: directory)
    let json = try JSONDecoder().decode(
      Reference.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/reference.json")))
    return (model, json, try SafeTensors(path: directory + "/reference.safetensors"))
  }

  static func frames(_ file: SafeTensors, size: Int) throws -> [Frame] {
    let images = try file.tensor("images")
    let count = images.shape[0]
    let per = size * size * 3
    return (0..<count).map { i in
      Frame(
        pts: Double(i), width: size, height: size,
        pixels: images.scalars[(i * per)..<((i + 1) * per)].map { UInt8($0) },
        sourceWidth: size, sourceHeight: size)
    }
  }

  static func check(_ got: [Float], _ expected: ArraySlice<Float>) -> (maxAbs: Float, cosine: Float) {
    let maxAbs = zip(got, expected).map { abs($0 - $1) }.max() ?? 0
    let cosine = zip(got, expected).reduce(0) { $0 + $1.0 * $1.1 }
    return (maxAbs, cosine)
  }

  @Test(arguments: models)
  func imageEmbeddingsMatchTransformers(name: String) throws {
    var (model, _, reference) = try Self.load(name)
    let frames = try Self.frames(reference, size: model.config.imageSize)
    let expected = try reference.tensor("image_embeds")
    let dim = expected.shape[1]
    let batched = model.embed(frames: frames)
    for (i, embedding) in batched.enumerated() {
      let (maxAbs, cosine) = Self.check(embedding, expected.scalars[(i * dim)..<((i + 1) * dim)])
      #expect(maxAbs <= 1e-4 && cosine >= 0.99999, "\(name) image \(i): max abs \(maxAbs), cosine \(cosine)")
    }
    // One at a time gives the same vectors as the batch.
    for (i, frame) in frames.enumerated() {
      let single = model.embed(frames: [frame])[0]
      #expect(zip(single, batched[i]).allSatisfy { abs($0 - $1) <= 1e-5 })
    }
  }

  @Test(arguments: models)
  func textEmbeddingsAndTokensMatchTransformers(name: String) throws {
    var (model, json, reference) = try Self.load(name)
    let expected = try reference.tensor("text_embeds")
    let dim = expected.shape[1]
    for (i, text) in json.texts.enumerated() {
      #expect(model.tokenizer.encode(text) == json.input_ids[i], "\(name) tokens of \(text.debugDescription)")
      let (maxAbs, cosine) = Self.check(model.embed(text: text), expected.scalars[(i * dim)..<((i + 1) * dim)])
      #expect(
        maxAbs <= 1e-4 && cosine >= 0.99999,
        "\(name) text \(text.debugDescription): max abs \(maxAbs), cosine \(cosine)")
    }
    #expect(abs(model.logitScale - json.logit_scale) <= 1e-4 * json.logit_scale)
  }

  /// The batched text tower (texts of different lengths padded together)
  /// gives each text what it gets alone, to float rounding, in fp32 and int8.
  @Test(arguments: models, [Precision.fp32, .int8, .bf16])
  func batchedTextsEqualOneByOne(name: String, precision: Precision) throws {
    var model = try CLIPModel(directory: Self.root + "/" + name, precision: precision)
    let texts = try Self.load(name).1.texts + ["a", "a much longer text about a person who falls down the stairs"]
    let batched = model.embed(texts: texts)
    #expect(batched.count == texts.count)
    for (text, embedding) in zip(texts, batched) {
      let alone = model.embed(text: text)
      let difference = zip(embedding, alone).map { abs($0 - $1) }.max()!
      #expect(difference <= 1e-5, "\(name) \(precision): \(text.debugDescription) differs by \(difference)")
    }
  }

  @Test func missingDirectoryAndMisshapenTensorAreNamed() throws {
    let missing = Self.root + "/nope"
    #expect {
      _ = try CLIPModel(directory: missing)
    } throws: { error in
      "\(error)".hasPrefix("\(missing)/config.json: missing or unreadable")
    }
    // A checkpoint whose fc1 has the wrong shape.
    let source = Self.root + "/tiny-odd"
    let directory = try Repository.temporaryDirectory("clip-bad")
    for file in ["config.json", "vocab.json", "merges.txt"] {
      try FileManager.default.copyItem(atPath: source + "/" + file, toPath: directory.path + "/" + file)
    }
    let weights = try SafeTensors(path: source + "/model.safetensors")
    var tensors: [String: Tensor] = [:]
    for name in weights.names { tensors[name] = try weights.tensor(name) }
    tensors["vision_model.encoder.layers.0.mlp.fc1.weight"] = Tensor(zeros: [50, 31])
    try SafeTensorsWriter.write(tensors, to: directory.path + "/model.safetensors")
    #expect {
      _ = try CLIPModel(directory: directory.path)
    } throws: { error in
      "\(error)".hasSuffix(
        "tensor 'vision_model.encoder.layers.0.mlp.fc1.weight': shape [50, 31] does not match the expected [50, 30]")
    }
  }
}
