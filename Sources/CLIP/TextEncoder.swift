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
  public mutating func encode(ids: [Int32]) -> [Float] { encode(batch: [ids])[0] }

  /// Embeddings of several tokenised texts in one pass: each runs only up to
  /// its end token, all padded to the longest (causal attention keeps the
  /// padding out of every earlier position), so the layers multiply
  /// batch·length rows at once. The result equals `encode(ids:)` text by
  /// text up to float rounding (OpenBLAS sums attention's longer padded rows
  /// in another order).
  public mutating func encode(batch: [[Int32]]) -> [[Float]] {
    guard !batch.isEmpty else { return [] }
    for ids in batch {
      precondition(!ids.isEmpty && ids.count <= config.contextLength, "ids must be 1…\(config.contextLength) long")
      precondition(ids.allSatisfy { $0 >= 0 && Int($0) < config.vocabularySize }, "token id outside the vocabulary")
    }
    let h = config.text.hiddenSize
    let ends = batch.map { poolingIndex($0) + 1 }
    let length = ends.max()!
    var hidden = [Float](repeating: 0, count: batch.count * length * h)
    for (b, ids) in batch.enumerated() {
      for t in 0..<length {
        // Past the end token: any id (the last one) — causal attention never lets it back.
        let token = Int(ids[min(t, ids.count - 1)])
        let row = (b * length + t) * h
        for i in 0..<h { hidden[row + i] = tokenEmbedding[token * h + i] + positions[t * h + i] }
      }
    }
    var localScratch = scratch
    scratch = EncoderScratch()
    defer { scratch = localScratch }
    var pooled = [Float](repeating: 0, count: batch.count * h)
    var projected = [Float](repeating: 0, count: batch.count * config.projectionDim)
    hidden.withUnsafeMutableBufferPointer { hidden in
      for layer in layers {
        layer.forward(
          hidden.baseAddress!, batch: batch.count, length: length, tower: config.text, causal: true,
          scratch: &localScratch)
      }
      pooled.withUnsafeMutableBufferPointer { pooled in
        for (b, end) in ends.enumerated() {
          LayerNorm.apply(
            hidden.baseAddress! + (b * length + end - 1) * h, rows: 1, columns: h, weight: finalNormWeight,
            bias: finalNormBias, eps: config.text.layerNormEps, into: pooled.baseAddress! + b * h)
        }
      }
    }
    projection.apply(pooled, rows: batch.count, bias: nil, into: &projected)
    let dimension = config.projectionDim
    return projected.withUnsafeBufferPointer { projected in
      (0..<batch.count).map {
        UnitLength.normalised(UnsafeBufferPointer(rebasing: projected[($0 * dimension)..<(($0 + 1) * dimension)]))
      }
    }
  }
}
