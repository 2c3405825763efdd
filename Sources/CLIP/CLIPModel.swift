import Core
import ModelIO
import Tensor

#if canImport(Glibc)
  import Glibc
#endif

/// A CLIP or SigLIP checkpoint in Hugging Face layout: a directory with
/// `config.json`, `model.safetensors`, the tokenizer's files (`vocab.json` +
/// `merges.txt`, or `spiece.model`) and optionally `preprocessor_config.json`,
/// e.g. `openai/clip-vit-base-patch32` or `google/siglip-base-patch16-224`
/// copied onto the box. Weights are read once (F16/BF16 widened to F32); the
/// file is unmapped once the encoders hold their copies.
public struct CLIPModel: Sendable {
  public let directory: String
  public let config: CLIPConfig
  public let tokenizer: TextTokenizer
  public var images: ImageEncoder
  public var texts: TextEncoder
  /// exp(logit_scale): multiplies cosines into logits (100 for OpenAI's models).
  public let logitScale: Float
  /// SigLIP's learned `logit_bias` (its own probability is σ(scale·cos + bias)); nil for CLIP.
  public let logitBias: Float?
  /// How a camera picture becomes this model's input (from `preprocessor_config.json`):
  /// the sources produce frames with it.
  public let geometry: PictureGeometry
  /// The processor's per-channel mean colour (0–1): what normalises to zero.
  public let imageMean: [Float]
  /// What the linear layers of both towers run in.
  public let precision: Precision

  /// Loads the directory through ModelIO (`CLIPFiles`).
  public init(directory: String, precision: Precision = .fp32) throws(ModelError) {
    try self.init(files: try CLIPFiles(directory: directory), precision: precision)
  }

  public init(files: CLIPFiles, precision: Precision = .fp32) throws(ModelError) {
    self.precision = precision
    directory = files.directory
    config = files.config
    geometry = files.imageProcessing.geometry
    imageMean = files.imageMean
    tokenizer = try TextTokenizer(files.vocabulary, contextLength: config.contextLength)
    let preprocessing = Preprocessing(mean: files.imageMean, std: files.imageStd)
    images = try ImageEncoder(file: files.weights, config: config, preprocessing: preprocessing, precision: precision)
    texts = try TextEncoder(file: files.weights, config: config, precision: precision)
    let scale = try files.weights.tensor("logit_scale").scalars
    guard scale.count == 1 else {
      throw ModelError(file: files.weights.path, tensor: "logit_scale", "must hold one value")
    }
    logitScale = expf(scale[0])
    if config.family == .siglip {
      let bias = try files.weights.tensor("logit_bias").scalars
      guard bias.count == 1 else {
        throw ModelError(file: files.weights.path, tensor: "logit_bias", "must hold one value")
      }
      logitBias = bias[0]
    } else {
      logitBias = nil
    }
  }

  /// Random weights for `config` (benchmarks), with a real vocabulary;
  /// `outlierChannels`: LayerNorm channels scaled ×30 in every layer (int8 tests).
  public init(
    random config: CLIPConfig, vocabulary: BPEVocabulary, seed: UInt64, precision: Precision = .fp32,
    outlierChannels: [Int] = []
  ) {
    self.precision = precision
    directory = "random-\(config.vision.layers)-layer"
    self.config = config
    geometry = .clip(config.imageSize)
    imageMean = Preprocessing.openAI.mean
    tokenizer = .clip(Tokenizer(vocabulary: vocabulary, contextLength: config.contextLength))
    images = ImageEncoder(random: config, seed: seed, precision: precision, outlierChannels: outlierChannels)
    texts = TextEncoder(random: config, seed: seed &+ 1, precision: precision, outlierChannels: outlierChannels)
    logitScale = 100
    logitBias = nil
  }

  /// The embedding of `text`.
  public mutating func embed(text: String) -> [Float] { texts.encode(ids: tokenizer.encode(text)) }

  /// Embeddings of `texts`, in one batched pass of the text tower.
  public mutating func embed(texts batch: [String]) -> [[Float]] {
    texts.encode(batch: batch.map { tokenizer.encode($0) })
  }

  /// Embeddings of frames (already `config.imageSize` square), batched.
  public mutating func embed(frames: [Frame]) -> [[Float]] { images.encode(frames) }

  /// Embeddings of pictures (already `config.imageSize` square), batched.
  public mutating func embed(pictures: [Picture]) -> [[Float]] { images.encode(pictures: pictures) }

}
