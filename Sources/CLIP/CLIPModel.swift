import Core
import ModelIO

#if canImport(Glibc)
  import Glibc
#endif

/// A CLIP checkpoint in Hugging Face layout: a directory with `config.json`,
/// `model.safetensors`, `vocab.json`, `merges.txt` (and optionally
/// `preprocessor_config.json`), e.g. `openai/clip-vit-base-patch32` copied onto
/// the box. Weights are read once (F16/BF16 widened to F32) and the file unmapped.
public struct CLIPModel: Sendable {
  public let directory: String
  public let config: CLIPConfig
  public let tokenizer: Tokenizer
  public var images: ImageEncoder
  public var texts: TextEncoder
  /// exp(logit_scale): multiplies cosines into logits (100 for OpenAI's models).
  public let logitScale: Float

  public init(directory: String) throws(ModelError) {
    self.directory = directory
    let configPath = directory + "/config.json"
    let weightsPath = directory + "/model.safetensors"
    for path in [configPath, weightsPath, directory + "/vocab.json", directory + "/merges.txt"]
    where access(path, R_OK) != 0 {
      throw ModelError(
        file: path,
        "missing or unreadable (a CLIP model directory needs config.json, model.safetensors, vocab.json, merges.txt)")
    }
    config = try CLIPConfig(contentsOf: configPath)
    tokenizer = try Tokenizer(directory: directory, contextLength: config.contextLength)
    let file = try SafeTensors(path: weightsPath)
    let preprocessing = try Preprocessing(contentsOf: directory + "/preprocessor_config.json")
    images = try ImageEncoder(file: file, config: config, preprocessing: preprocessing)
    texts = try TextEncoder(file: file, config: config)
    let scale = try file.tensor("logit_scale").scalars
    guard scale.count == 1 else { throw ModelError(file: weightsPath, tensor: "logit_scale", "must hold one value") }
    logitScale = expf(scale[0])
  }

  /// The embedding of `text`.
  public mutating func embed(text: String) -> [Float] { texts.encode(ids: tokenizer.encode(text)) }

  /// Embeddings of frames (already `config.imageSize` square), batched.
  public mutating func embed(frames: [Frame]) -> [[Float]] { images.encode(frames) }

  /// Cosine of two L2-normalised embeddings.
  public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
  }
}
