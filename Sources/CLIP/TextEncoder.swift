import ModelIO
import Tensor

/// CLIP's text tower (`CLIPTextTransformer` + `text_projection`): token and
/// position embeddings, causal encoder layers, final LN, the hidden state at
/// the end token (as `transformers` picks it), projection, L2 norm. Text is
/// encoded once per rule, so it runs one text at a time, only up to the end
/// token (causal attention makes the padding irrelevant).
public struct TextEncoder: Sendable {
  public let config: CLIPConfig
  let tokenEmbedding: [Float]  // (vocab, H)
  let positions: [Float]  // (context, H)
  let layers: [EncoderLayer]
  let finalNormWeight: [Float]
  let finalNormBias: [Float]
  let projection: Linear  // (projectionDim, H)
  private var scratch = EncoderScratch()

  init(file: SafeTensors, config: CLIPConfig, precision: Precision) throws(ModelError) {
    let h = config.text.hiddenSize
    func load(_ name: String, _ shape: [Int]) throws(ModelError) -> [Float] {
      try file.tensor(name, shape: shape).scalars
    }
    self.config = config
    tokenEmbedding = try load("text_model.embeddings.token_embedding.weight", [config.vocabularySize, h])
    positions = try load("text_model.embeddings.position_embedding.weight", [config.contextLength, h])
    layers = try EncoderLayer.loadAll(
      file: file, prefix: "text_model.encoder.layers.", tower: config.text, precision: precision)
    finalNormWeight = try load("text_model.final_layer_norm.weight", [h])
    finalNormBias = try load("text_model.final_layer_norm.bias", [h])
    projection = Linear(
      weight: try load("text_projection.weight", [config.projectionDim, h]), outFeatures: config.projectionDim,
      inFeatures: h, precision: precision, packed: false)
  }

  public init(random config: CLIPConfig, seed: UInt64, precision: Precision = .fp32, outlierChannels: [Int] = []) {
    var rng = SplitMix64(seed: seed)
    let h = config.text.hiddenSize
    func random(_ count: Int, _ scale: Float) -> [Float] { (0..<count).map { _ in rng.nextFloat(in: -scale...scale) } }
    self.config = config
    tokenEmbedding = random(config.vocabularySize * h, 0.02)
    positions = random(config.contextLength * h, 0.01)
    layers = (0..<config.text.layers).map {
      EncoderLayer(
        random: config.text, seed: seed &+ 100 &+ UInt64($0), precision: precision, outlierChannels: outlierChannels)
    }
    finalNormWeight = [Float](repeating: 1, count: h)
    finalNormBias = [Float](repeating: 0, count: h)
    projection = Linear(
      weight: random(config.projectionDim * h, 1 / Float(h).squareRoot()), outFeatures: config.projectionDim,
      inFeatures: h, precision: precision, packed: false)
  }

  /// Where `transformers` pools: with the legacy `eos_token_id` 2, at the
  /// largest id (the end token); otherwise at the first `eos_token_id`.
  public func poolingIndex(_ ids: [Int32]) -> Int {
    if config.eosTokenID == 2 {
      guard let top = ids.max() else { return 0 }
      return ids.firstIndex(of: top) ?? 0
    }
    return ids.firstIndex(of: Int32(config.eosTokenID)) ?? 0
  }

  /// L2-normalised embedding (projectionDim) of tokenised text (`Tokenizer.encode`).
  public mutating func encode(ids: [Int32]) -> [Float] {
    precondition(!ids.isEmpty && ids.count <= config.contextLength, "ids must be 1…\(config.contextLength) long")
    precondition(ids.allSatisfy { $0 >= 0 && Int($0) < config.vocabularySize }, "token id outside the vocabulary")
    let h = config.text.hiddenSize
    let length = poolingIndex(ids) + 1
    var hidden = [Float](repeating: 0, count: length * h)
    for t in 0..<length {
      let token = Int(ids[t])
      for i in 0..<h { hidden[t * h + i] = tokenEmbedding[token * h + i] + positions[t * h + i] }
    }
    var localScratch = scratch
    scratch = EncoderScratch()
    defer { scratch = localScratch }
    var pooled = [Float](repeating: 0, count: h)
    var projected = [Float](repeating: 0, count: config.projectionDim)
    hidden.withUnsafeMutableBufferPointer { hidden in
      for layer in layers {
        layer.forward(
          hidden.baseAddress!, batch: 1, length: length, tower: config.text, causal: true, scratch: &localScratch)
      }
      LayerNorm.apply(
        hidden.baseAddress! + (length - 1) * h, rows: 1, columns: h, weight: finalNormWeight, bias: finalNormBias,
        eps: config.text.layerNormEps, into: &pooled)
    }
    projection.apply(pooled, rows: 1, bias: nil, into: &projected)
    return projected.withUnsafeBufferPointer { UnitLength.normalised($0) }
  }
}
