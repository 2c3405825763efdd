import CLIP
import Core
import Foundation
import ModelIO
import Tensor
import TestSupport
import Testing

/// int8 and bf16 against fp32 on the same weights: image and text embeddings
/// (the text at its end token) keep cosine ≥ 0.998 on a random ViT-B/32, and
/// on one whose LayerNorms have three outlier channels ×30 in every layer of
/// both towers, as real CLIP checkpoints do (what `Smoothing` is for in int8).
@Suite(.serialized) struct ReducedPrecisionAccuracyTests {
  static let outliers = [17, 211, 430]
  static let texts = [
    "a person falling down", "a car parked in the driveway", "smoke rising from a kitchen stove",
    "a package left at the front door", "an empty hallway at night",
  ]

  static func cosine(_ a: [Float], _ b: [Float]) -> Float { Float(Embedding.cosine(a, b)) }

  /// The smallest cosine between fp32 and `precision` over the test frames and texts.
  static func worstCosines(_ precision: Precision, outliers: [Int]) throws -> (image: Float, text: Float) {
    let vocabulary = try BPEVocabulary(
      directory: Repository.root.appendingPathComponent("Tests/Fixtures/clip/tokenizer").path)
    var fp32 = CLIPModel(random: .vitB32, vocabulary: vocabulary, seed: 7, outlierChannels: outliers)
    var reduced = CLIPModel(
      random: .vitB32, vocabulary: vocabulary, seed: 7, precision: precision, outlierChannels: outliers)
    let frames = CheckPictures.generated(count: 4, size: 224)
    let image = zip(fp32.embed(frames: frames), reduced.embed(frames: frames)).map { cosine($0, $1) }.min()!
    let text = texts.map { cosine(fp32.embed(text: $0), reduced.embed(text: $0)) }.min()!
    print("\(precision) vs fp32, outlier channels \(outliers): worst image cosine \(image), worst text cosine \(text)")
    return (image, text)
  }

  @Test(arguments: [Precision.int8, .bf16])
  func randomViTB32(precision: Precision) throws {
    let (image, text) = try Self.worstCosines(precision, outliers: [])
    #expect(image >= 0.998 && text >= 0.998, "image \(image), text \(text)")
  }

  @Test(arguments: [Precision.int8, .bf16])
  func randomViTB32WithOutlierChannels(precision: Precision) throws {
    let (image, text) = try Self.worstCosines(precision, outliers: Self.outliers)
    #expect(image >= 0.998 && text >= 0.998, "image \(image), text \(text)")
  }
}
