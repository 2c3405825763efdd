import Core
import Foundation

/// The parts of a Hugging Face `CLIPConfig` or `SiglipConfig` (`config.json`)
/// the encoders need. Missing fields take `transformers`' defaults for the
/// family (CLIP ViT-B/32, SigLIP base-patch16-224); unknown fields are
/// ignored, as `transformers` does.
public struct CLIPConfig: Sendable, Equatable {
  /// Which layout the towers have (`model_type`).
  public enum Family: String, Sendable {
    /// `CLIPModel`: class token, pre-LN, causal text tower pooled at the end
    /// token, projections without bias, softmax-trained.
    case clip
    /// `SiglipModel` (SigLIP, and SigLIP 2's fixed-resolution checkpoints): no
    /// class token, an attention-pooling head, a bidirectional text tower
    /// pooled at the last position of the padded context, a head with bias,
    /// sigmoid-trained with a learned `logit_bias`.
    case siglip
  }

  public enum Activation: String, Sendable {
    /// x·σ(1.702x), OpenAI's original.
    case quickGELU = "quick_gelu"
    /// Exact GELU, 0.5x(1 + erf(x/√2)).
    case gelu
    /// GELU's tanh approximation (SigLIP).
    case geluTanh = "gelu_pytorch_tanh"
  }

  public struct Tower: Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layers: Int
    public var heads: Int
    public var activation: Activation
    public var layerNormEps: Float

    public init(
      hiddenSize: Int, intermediateSize: Int, layers: Int, heads: Int, activation: Activation, layerNormEps: Float
    ) {
      self.hiddenSize = hiddenSize
      self.intermediateSize = intermediateSize
      self.layers = layers
      self.heads = heads
      self.activation = activation
      self.layerNormEps = layerNormEps
    }
  }

  public var family: Family
  public var vision: Tower
  public var text: Tower
  public var imageSize: Int
  public var patchSize: Int
  public var channels: Int
  public var vocabularySize: Int
  /// Text context length (`max_position_embeddings`, 77 for OpenAI CLIP).
  public var contextLength: Int
  /// `eos_token_id` from the text config; 2 means the legacy rule (pool at the
  /// largest id), as `transformers`' CLIPTextTransformer. SigLIP pools at the
  /// last position whatever the ids.
  public var eosTokenID: Int
  /// The embedding width: `projection_dim` (CLIP), the text head's
  /// `projection_size` (SigLIP, equal to the vision width).
  public var projectionDim: Int

  /// OpenAI's ViT-B/32 (`openai/clip-vit-base-patch32`): the shape benchmarks use.
  public static let vitB32 = CLIPConfig(
    vision: Tower(
      hiddenSize: 768, intermediateSize: 3072, layers: 12, heads: 12, activation: .quickGELU, layerNormEps: 1e-5),
    text: Tower(
      hiddenSize: 512, intermediateSize: 2048, layers: 12, heads: 8, activation: .quickGELU, layerNormEps: 1e-5),
    imageSize: 224, patchSize: 32, channels: 3, vocabularySize: 49408, contextLength: 77, eosTokenID: 2,
    projectionDim: 512)

  public init(
    family: Family = .clip, vision: Tower, text: Tower, imageSize: Int, patchSize: Int, channels: Int,
    vocabularySize: Int, contextLength: Int, eosTokenID: Int, projectionDim: Int
  ) {
    self.family = family
    self.vision = vision
    self.text = text
    self.imageSize = imageSize
    self.patchSize = patchSize
    self.channels = channels
    self.vocabularySize = vocabularySize
    self.contextLength = contextLength
    self.eosTokenID = eosTokenID
    self.projectionDim = projectionDim
  }

  /// Reads and validates `config.json`; errors name the file and the field.
  public init(contentsOf path: String) throws(ModelError) {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw ModelError(file: path, "cannot read (\(error.localizedDescription))")
    }
    let raw: RawCLIPConfig
    do {
      raw = try JSONDecoder().decode(RawCLIPConfig.self, from: data)
    } catch DecodingError.dataCorrupted {
      throw ModelError(file: path, "not valid JSON")
    } catch let DecodingError.typeMismatch(_, context) {
      throw ModelError(
        file: path, "field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
    } catch {
      throw ModelError(file: path, "not a CLIP config.json (\(error))")
    }
    guard let family = Family(rawValue: raw.model_type ?? "clip") else {
      throw ModelError(file: path, "model_type '\(raw.model_type ?? "")' is not supported (clip or siglip)")
    }
    self.family = family
    let v = raw.vision_config ?? RawTower()
    let t = raw.text_config ?? RawTower()
    let siglip = family == .siglip
    let defaultActivation = siglip ? Activation.geluTanh : .quickGELU
    func activation(_ name: String?, _ field: String) throws(ModelError) -> Activation {
      guard let name else { return defaultActivation }
      guard let value = Activation(rawValue: name) else {
        throw ModelError(
          file: path, "\(field).hidden_act '\(name)' is not supported (use quick_gelu, gelu or gelu_pytorch_tanh)")
      }
      return value
    }
    let eps: Float = siglip ? 1e-6 : 1e-5
    vision = Tower(
      hiddenSize: v.hidden_size ?? 768, intermediateSize: v.intermediate_size ?? 3072,
      layers: v.num_hidden_layers ?? 12,
      heads: v.num_attention_heads ?? 12, activation: try activation(v.hidden_act, "vision_config"),
      layerNormEps: v.layer_norm_eps ?? eps)
    text = Tower(
      hiddenSize: t.hidden_size ?? (siglip ? 768 : 512),
      intermediateSize: t.intermediate_size ?? (siglip ? 3072 : 2048),
      layers: t.num_hidden_layers ?? 12,
      heads: t.num_attention_heads ?? (siglip ? 12 : 8), activation: try activation(t.hidden_act, "text_config"),
      layerNormEps: t.layer_norm_eps ?? eps)
    imageSize = v.image_size ?? 224
    patchSize = v.patch_size ?? (siglip ? 16 : 32)
    channels = v.num_channels ?? 3
    vocabularySize = t.vocab_size ?? (siglip ? 32000 : 49408)
    contextLength = t.max_position_embeddings ?? (siglip ? 64 : 77)
    eosTokenID = t.eos_token_id ?? (siglip ? 1 : 2)
    projectionDim = siglip ? (t.projection_size ?? text.hiddenSize) : (raw.projection_dim ?? 512)
    if siglip && v.vision_use_head == false {
      throw ModelError(file: path, "vision_config.vision_use_head is false: the checkpoint has no image embedding")
    }
    try validate(path: path)
  }

  private func validate(path: String) throws(ModelError) {
    try checkBounds(path: path)
    for (name, tower) in [("vision_config", vision), ("text_config", text)] {
      guard tower.hiddenSize > 0, tower.heads > 0, tower.hiddenSize % tower.heads == 0 else {
        throw ModelError(
          file: path, "\(name).hidden_size \(tower.hiddenSize) is not divisible by num_attention_heads \(tower.heads)")
      }
      guard tower.layers >= 0, tower.intermediateSize > 0 else {
        throw ModelError(file: path, "\(name) has invalid sizes")
      }
    }
    guard patchSize > 0, imageSize >= patchSize, imageSize % patchSize == 0 else {
      throw ModelError(file: path, "vision_config.image_size \(imageSize) is not a multiple of patch_size \(patchSize)")
    }
    guard contextLength >= 2, vocabularySize > 2, projectionDim > 0, channels == 3 else {
      throw ModelError(file: path, "text_config or projection sizes are invalid")
    }
    // SigLIP's image embedding is the pooling head's output, vision_config.hidden_size wide.
    guard family == .clip || projectionDim == vision.hiddenSize else {
      throw ModelError(
        file: path,
        "text_config.projection_size \(projectionDim) differs from vision_config.hidden_size \(vision.hiddenSize)")
    }
  }

  /// Every size within `Limits.Model`, checked before anything is computed
  /// from them (a 2^32 image_size used to overflow at the first frame).
  private func checkBounds(path: String) throws(ModelError) {
    typealias L = Limits.Model
    let sizes: [(String, Int, ClosedRange<Int>)] = [
      ("vision_config.hidden_size", vision.hiddenSize, 1...L.width),
      ("vision_config.intermediate_size", vision.intermediateSize, 1...L.width),
      ("vision_config.num_hidden_layers", vision.layers, 0...L.layers),
      ("vision_config.num_attention_heads", vision.heads, 1...L.heads),
      ("text_config.hidden_size", text.hiddenSize, 1...L.width),
      ("text_config.intermediate_size", text.intermediateSize, 1...L.width),
      ("text_config.num_hidden_layers", text.layers, 0...L.layers),
      ("text_config.num_attention_heads", text.heads, 1...L.heads),
      ("vision_config.image_size", imageSize, 1...L.imageSize),
      ("vision_config.patch_size", patchSize, 1...L.imageSize),
      ("text_config.vocab_size", vocabularySize, 3...L.vocabulary),
      ("text_config.max_position_embeddings", contextLength, 2...L.contextLength),
      // SigLIP pools the last position and never reads it (transformers' default, 49407, is past its vocabulary).
      ("text_config.eos_token_id", eosTokenID, family == .siglip ? Int.min...Int.max : 0...max(vocabularySize - 1, 0)),
      ("projection_dim", projectionDim, 1...L.width),
    ]
    for (field, value, range) in sizes where !range.contains(value) {
      throw ModelError(file: path, "\(field) \(value) is outside \(range.lowerBound)…\(range.upperBound)")
    }
    guard imageSize / patchSize <= L.patchesPerSide else {
      throw ModelError(
        file: path,
        "vision_config.image_size / patch_size is \(imageSize / patchSize) patches a side (at most \(L.patchesPerSide))"
      )
    }
    for (name, tower) in [("vision_config", vision), ("text_config", text)]
    where !(tower.layerNormEps.isFinite && tower.layerNormEps > 0) {
      throw ModelError(file: path, "\(name).layer_norm_eps must be a positive number, got \(tower.layerNormEps)")
    }
  }

  /// Patches per side of the image.
  public var patchesPerSide: Int { imageSize / patchSize }
  /// Positions the vision tower attends over: the patches, plus CLIP's class token.
  public var visionTokens: Int { patchesPerSide * patchesPerSide + (family == .clip ? 1 : 0) }
}

// Field names as in config.json.
// swift-format-ignore: AlwaysUseLowerCamelCase
private struct RawCLIPConfig: Decodable {
  var model_type: String?
  var vision_config: RawTower?
  var text_config: RawTower?
  var projection_dim: Int?
}

/// One tower's fields; vision and text use different subsets.
// swift-format-ignore: AlwaysUseLowerCamelCase
private struct RawTower: Decodable {
  var hidden_size: Int?
  var intermediate_size: Int?
  var num_hidden_layers: Int?
  var num_attention_heads: Int?
  var hidden_act: String?
  var layer_norm_eps: Float?
  // vision
  var image_size: Int?
  var patch_size: Int?
  var num_channels: Int?
  var vision_use_head: Bool?
  // text
  var vocab_size: Int?
  var max_position_embeddings: Int?
  var eos_token_id: Int?
  var projection_size: Int?
}
