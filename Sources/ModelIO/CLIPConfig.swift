import Core
import Foundation

/// The parts of a Hugging Face `CLIPConfig` (`config.json`) the encoders need.
/// Missing fields take `transformers`' defaults (ViT-B/32); unknown fields are
/// ignored, as `transformers` does.
public struct CLIPConfig: Sendable, Equatable {
  public enum Activation: String, Sendable {
    /// x·σ(1.702x), OpenAI's original.
    case quickGELU = "quick_gelu"
    /// Exact GELU, 0.5x(1 + erf(x/√2)).
    case gelu
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

  public var vision: Tower
  public var text: Tower
  public var imageSize: Int
  public var patchSize: Int
  public var channels: Int
  public var vocabularySize: Int
  /// Text context length (`max_position_embeddings`, 77 for OpenAI CLIP).
  public var contextLength: Int
  /// `eos_token_id` from the text config; 2 means the legacy rule (pool at the
  /// largest id), as `transformers`' CLIPTextTransformer.
  public var eosTokenID: Int
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
    vision: Tower, text: Tower, imageSize: Int, patchSize: Int, channels: Int, vocabularySize: Int, contextLength: Int,
    eosTokenID: Int, projectionDim: Int
  ) {
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
    let v = raw.vision_config ?? RawTower()
    let t = raw.text_config ?? RawTower()
    func activation(_ name: String?, _ field: String) throws(ModelError) -> Activation {
      guard let value = Activation(rawValue: name ?? "quick_gelu") else {
        throw ModelError(file: path, "\(field).hidden_act '\(name ?? "")' is not supported (use quick_gelu or gelu)")
      }
      return value
    }
    vision = Tower(
      hiddenSize: v.hidden_size ?? 768, intermediateSize: v.intermediate_size ?? 3072,
      layers: v.num_hidden_layers ?? 12,
      heads: v.num_attention_heads ?? 12, activation: try activation(v.hidden_act, "vision_config"),
      layerNormEps: v.layer_norm_eps ?? 1e-5)
    text = Tower(
      hiddenSize: t.hidden_size ?? 512, intermediateSize: t.intermediate_size ?? 2048,
      layers: t.num_hidden_layers ?? 12,
      heads: t.num_attention_heads ?? 8, activation: try activation(t.hidden_act, "text_config"),
      layerNormEps: t.layer_norm_eps ?? 1e-5)
    imageSize = v.image_size ?? 224
    patchSize = v.patch_size ?? 32
    channels = v.num_channels ?? 3
    vocabularySize = t.vocab_size ?? 49408
    contextLength = t.max_position_embeddings ?? 77
    eosTokenID = t.eos_token_id ?? 2
    projectionDim = raw.projection_dim ?? 512
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
      ("text_config.eos_token_id", eosTokenID, 0...max(vocabularySize - 1, 0)),
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
}

// Field names as in config.json.
// swift-format-ignore: AlwaysUseLowerCamelCase
private struct RawCLIPConfig: Decodable {
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
  // text
  var vocab_size: Int?
  var max_position_embeddings: Int?
  var eos_token_id: Int?
}
