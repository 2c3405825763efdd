import CLIP
import Core
import Foundation
import ModelIO
import Tensor
import TestSupport
import Testing

/// int8 against fp32 on the same weights: image and text embeddings (the
/// text at its end token) keep cosine ≥ 0.998 on a random ViT-B/32, and on
/// one whose LayerNorms have three outlier channels ×30 in every layer of
/// both towers, as real CLIP checkpoints do (what `Smoothing` is for).
@Suite(.serialized) struct Int8AccuracyTests {
  static let outliers = [17, 211, 430]
  static let texts = [
    "a person falling down", "a car parked in the driveway", "smoke rising from a kitchen stove",
    "a package left at the front door", "an empty hallway at night",
  ]

  static func cosine(_ a: [Float], _ b: [Float]) -> Float { Float(Embedding.cosine(a, b)) }

  /// The smallest cosine between fp32 and int8 over the test frames and texts.
  static func worstCosines(outliers: [Int]) throws -> (image: Float, text: Float) {
    let vocabulary = try BPEVocabulary(
      directory: Repository.root.appendingPathComponent("Tests/Fixtures/clip/tokenizer").path)
    var fp32 = CLIPModel(random: .vitB32, vocabulary: vocabulary, seed: 7, outlierChannels: outliers)
    var int8 = CLIPModel(random: .vitB32, vocabulary: vocabulary, seed: 7, precision: .int8, outlierChannels: outliers)
    let frames = CheckPictures.generated(count: 4, size: 224)
    let image = zip(fp32.embed(frames: frames), int8.embed(frames: frames)).map { cosine($0, $1) }.min()!
    let text = texts.map { cosine(fp32.embed(text: $0), int8.embed(text: $0)) }.min()!
    print("int8 vs fp32, outlier channels \(outliers): worst image cosine \(image), worst text cosine \(text)")
    return (image, text)
  }

  @Test func randomViTB32() throws {
    let (image, text) = try Self.worstCosines(outliers: [])
    #expect(image >= 0.998 && text >= 0.998, "image \(image), text \(text)")
  }

  @Test func randomViTB32WithOutlierChannels() throws {
    let (image, text) = try Self.worstCosines(outliers: Self.outliers)
    #expect(image >= 0.998 && text >= 0.998, "image \(image), text \(text)")
  }
}
