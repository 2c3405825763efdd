import ModelIO
import Tensor

/// The text tower: token and position embeddings, encoder layers, final LN,
/// one position's hidden state through a linear map, L2 norm. CLIP
/// (`CLIPTextTransformer` + `text_projection`) is causal and pools at the end
/// token (as `transformers` picks it), so it runs only up to that token: the
/// padding cannot reach it. SigLIP (`SiglipTextTransformer`) attends both ways
/// over the whole padded context and pools the last position through a head
/// with bias.
public struct TextEncoder: Sendable {
  public let config: CLIPConfig
  let tokenEmbedding: [Float]  // (vocab, H)
  let positions: [Float]  // (context, H)
  let layers: [EncoderLayer]
  let finalNormWeight: [Float]
  let finalNormBias: [Float]
  let projection: Linear  // (projectionDim, H): text_projection (CLIP), head (SigLIP)
  let projectionBias: [Float]?  // (projectionDim), SigLIP's head
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
    let clip = config.family == .clip
    projection = Linear(
      weight: try load(clip ? "text_projection.weight" : "text_model.head.weight", [config.projectionDim, h]),
      outFeatures: config.projectionDim, inFeatures: h, precision: precision, packed: false)
    projectionBias = clip ? nil : try load("text_model.head.bias", [config.projectionDim])
  }

  public init(random config: CLIPConfig, seed: UInt64, precision: Precision = .fp32, outlierChannels: [Int] = []) {
    precondition(config.family == .clip, "random weights are made for CLIP's layout")
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
    projectionBias = nil
  }

  /// Where `transformers` pools: SigLIP at the last position; CLIP with the
  /// legacy `eos_token_id` 2 at the largest id (the end token), otherwise at
  /// the first `eos_token_id`.
  public func poolingIndex(_ ids: [Int32]) -> Int {
    if config.family == .siglip { return ids.count - 1 }
    if config.eosTokenID == 2 {
      guard let top = ids.max() else { return 0 }
      return ids.firstIndex(of: top) ?? 0
    }
    return ids.firstIndex(of: Int32(config.eosTokenID)) ?? 0
  }

  /// L2-normalised embedding (projectionDim) of tokenised text (`Tokenizer.encode`).
  public mutating func encode(ids: [Int32]) -> [Float] { encode(batch: [ids])[0] }

  /// Embeddings of several tokenised texts in one pass: with CLIP each runs
  /// only up to its end token, all padded to the longest (causal attention
  /// keeps the padding out of every earlier position), so the layers multiply
  /// batch·length rows at once. The result equals `encode(ids:)` text by
  /// text up to float rounding (OpenBLAS sums attention's longer padded rows
  /// in another order). SigLIP's ids are the whole padded context, as trained.
  public mutating func encode(batch: [[Int32]]) -> [[Float]] {
    guard !batch.isEmpty else { return [] }
    let causal = config.family == .clip
    for ids in batch {
      precondition(!ids.isEmpty && ids.count <= config.contextLength, "ids must be 1…\(config.contextLength) long")
      precondition(causal || ids.count == config.contextLength, "SigLIP ids must fill the context")
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
          hidden.baseAddress!, batch: batch.count, length: length, tower: config.text, causal: causal,
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
    projection.apply(pooled, rows: batch.count, bias: projectionBias, into: &projected)
    let dimension = config.projectionDim
    return projected.withUnsafeBufferPointer { projected in
      (0..<batch.count).map {
        UnitLength.normalised(UnsafeBufferPointer(rebasing: projected[($0 * dimension)..<(($0 + 1) * dimension)]))
      }
    }
  }
}
