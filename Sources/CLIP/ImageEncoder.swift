import Core
import ModelIO
import Tensor

/// The vision tower, patch embedding as one GEMM over im2col patches, then
/// positions, L encoder layers and an L2 norm. CLIP (`CLIPVisionTransformer`
/// + `visual_projection`) adds a class token and a pre-LN, and pools the
/// post-LN class token through the projection; SigLIP (`SiglipVisionTransformer`)
/// has a patch bias and pools every post-LN token with `AttentionPoolingHead`.
/// Frames from several cameras go through in one batch.
public struct ImageEncoder: Sendable {
  public let config: CLIPConfig
  let patchWeight: Linear  // (H, 3·P·P): patch_embedding.weight (H, 3, P, P) flattened
  let patchBias: [Float]?  // (H), SigLIP
  let classEmbedding: [Float]?  // (H), CLIP
  let positions: [Float]  // (visionTokens, H)
  let preNorm: (weight: [Float], bias: [Float])?  // CLIP
  let layers: [EncoderLayer]
  let postNormWeight: [Float]
  let postNormBias: [Float]
  let pooling: Pooling

  /// How a frame's tokens become its embedding.
  enum Pooling: Sendable {
    /// CLIP: the class token through `visual_projection` (projectionDim, H).
    case classToken(projection: Linear)
    /// SigLIP: attention pooling over all tokens; the embedding is H wide.
    case attentionHead(AttentionPoolingHead)
  }
  public let preprocessing: Preprocessing
  private var scratch = EncoderScratch()
  private var buffers: [Float] = []  // patches | hidden | pooled | projected

  /// Frames must be `imageSize`×`imageSize` (the Video module's `size`).
  public var imageSize: Int { config.imageSize }
  public var embeddingSize: Int { config.projectionDim }

  init(file: SafeTensors, config: CLIPConfig, preprocessing: Preprocessing, precision: Precision) throws(ModelError) {
    let h = config.vision.hiddenSize
    let p = config.patchSize
    let clip = config.family == .clip
    func load(_ name: String, _ shape: [Int]) throws(ModelError) -> [Float] {
      try file.tensor(name, shape: shape).scalars
    }
    self.config = config
    self.preprocessing = preprocessing
    patchWeight = Linear(
      weight: try load("vision_model.embeddings.patch_embedding.weight", [h, 3, p, p]), outFeatures: h,
      inFeatures: 3 * p * p, precision: precision)
    patchBias = clip ? nil : try load("vision_model.embeddings.patch_embedding.bias", [h])
    classEmbedding = clip ? try load("vision_model.embeddings.class_embedding", [h]) : nil
    positions = try load("vision_model.embeddings.position_embedding.weight", [config.visionTokens, h])
    preNorm =
      clip
      ? (try load("vision_model.pre_layrnorm.weight", [h]), try load("vision_model.pre_layrnorm.bias", [h])) : nil
    layers = try EncoderLayer.loadAll(
      file: file, prefix: "vision_model.encoder.layers.", tower: config.vision, precision: precision)
    postNormWeight = try load("vision_model.post_layernorm.weight", [h])
    postNormBias = try load("vision_model.post_layernorm.bias", [h])
    if clip {
      pooling = .classToken(
        projection: Linear(
          weight: try load("visual_projection.weight", [config.projectionDim, h]), outFeatures: config.projectionDim,
          inFeatures: h, precision: precision, packed: false))
    } else {
      pooling = .attentionHead(
        try AttentionPoolingHead(file: file, prefix: "vision_model.head.", tower: config.vision, precision: precision))
    }
  }

  /// Random weights for `config` (benchmarks: no file needed); `outlierChannels`: see `EncoderLayer`.
  public init(random config: CLIPConfig, seed: UInt64, precision: Precision = .fp32, outlierChannels: [Int] = []) {
    var rng = SplitMix64(seed: seed)
    let h = config.vision.hiddenSize
    let p = config.patchSize
    precondition(config.family == .clip, "random weights are made for CLIP's layout")
    let tokens = config.visionTokens
    func random(_ count: Int, _ scale: Float) -> [Float] { (0..<count).map { _ in rng.nextFloat(in: -scale...scale) } }
    self.config = config
    preprocessing = .openAI
    patchWeight = Linear(
      weight: random(h * 3 * p * p, 0.02), outFeatures: h, inFeatures: 3 * p * p, precision: precision)
    patchBias = nil
    classEmbedding = random(h, 0.02)
    positions = random(tokens * h, 0.02)
    preNorm = ([Float](repeating: 1, count: h), [Float](repeating: 0, count: h))
    layers = (0..<config.vision.layers).map {
      EncoderLayer(
        random: config.vision, seed: seed &+ UInt64($0) &+ 1, precision: precision, outlierChannels: outlierChannels)
    }
    postNormWeight = [Float](repeating: 1, count: h)
    postNormBias = [Float](repeating: 0, count: h)
    pooling = .classToken(
      projection: Linear(
        weight: random(config.projectionDim * h, 1 / Float(h).squareRoot()), outFeatures: config.projectionDim,
        inFeatures: h, precision: precision, packed: false))
  }

  /// L2-normalised embeddings (projectionDim each), one per frame, in order.
  public mutating func encode(_ frames: [Frame]) -> [[Float]] { encode(pictures: frames.map(\.picture)) }

  /// L2-normalised embeddings (projectionDim each), one per picture, in order.
  public mutating func encode(pictures frames: [Picture]) -> [[Float]] {
    guard !frames.isEmpty else { return [] }
    for frame in frames {
      precondition(
        frame.width == imageSize && frame.height == imageSize,
        "frame is \(frame.width)x\(frame.height); this model takes \(imageSize)x\(imageSize)")
    }
    let batch = frames.count
    let h = config.vision.hiddenSize
    let p = config.patchSize
    let patchCount = config.patchesPerSide * config.patchesPerSide
    let tokens = config.visionTokens
    let classTokens = tokens - patchCount
    let patchColumns = 3 * p * p
    let projectionDim = config.projectionDim
    var poolingScratch = 0
    if case .attentionHead = pooling {
      poolingScratch = AttentionPoolingHead.scratchCount(batch: batch, tokens: tokens, tower: config.vision)
    }
    let needed =
      batch * patchCount * patchColumns + batch * tokens * h + batch * h + batch * projectionDim + poolingScratch
    if buffers.count < needed { buffers = [Float](repeating: 0, count: needed) }

    var work = buffers
    buffers = []
    defer { buffers = work }
    var localScratch = scratch
    scratch = EncoderScratch()
    defer { scratch = localScratch }
    return work.withUnsafeMutableBufferPointer { buffer in
      let patches = buffer.baseAddress!
      let hidden = patches + batch * patchCount * patchColumns
      let pooled = hidden + batch * tokens * h
      let projected = pooled + batch * h
      let headScratch = projected + batch * projectionDim
      for (b, frame) in frames.enumerated() {
        preprocessing.patches(
          of: frame, patchSize: p, into: patches + b * patchCount * patchColumns)
      }
      // Patch embedding: (batch·patches, 3P²) · W_patchᵀ, written after each image's class-token row (CLIP).
      for b in 0..<batch {
        let rows = hidden + b * tokens * h
        if let classEmbedding { rows.update(from: classEmbedding, count: h) }
        patchWeight.apply(
          patches + b * patchCount * patchColumns, rows: patchCount, bias: patchBias, into: rows + classTokens * h)
        positions.withUnsafeBufferPointer { positions in
          for i in 0..<(tokens * h) { rows[i] += positions[i] }
        }
      }
      if let preNorm {
        LayerNorm.apply(
          hidden, rows: batch * tokens, columns: h, weight: preNorm.weight, bias: preNorm.bias,
          eps: config.vision.layerNormEps, into: hidden)
      }
      for layer in layers {
        layer.forward(hidden, batch: batch, length: tokens, tower: config.vision, causal: false, scratch: &localScratch)
      }
      let embeddings: UnsafeMutablePointer<Float>
      switch pooling {
      case .classToken(let projection):
        for b in 0..<batch {
          LayerNorm.apply(
            hidden + b * tokens * h, rows: 1, columns: h, weight: postNormWeight, bias: postNormBias,
            eps: config.vision.layerNormEps, into: pooled + b * h)
        }
        projection.apply(pooled, rows: batch, bias: nil, into: projected)
        embeddings = projected
      case .attentionHead(let head):
        LayerNorm.apply(
          hidden, rows: batch * tokens, columns: h, weight: postNormWeight, bias: postNormBias,
          eps: config.vision.layerNormEps, into: hidden)
        head.pool(hidden, batch: batch, tokens: tokens, scratch: headScratch, into: pooled)
        embeddings = pooled
      }
      return (0..<batch).map {
        UnitLength.normalised(UnsafeBufferPointer(start: embeddings + $0 * projectionDim, count: projectionDim))
      }
    }
  }
}

/// L2 normalisation of a batch's embeddings with the SIMD reduction
/// (`Core.Embedding` holds the scalar maths other modules share).
enum UnitLength {
  static func normalised(_ x: UnsafeBufferPointer<Float>) -> [Float] {
    let norm = Reductions.dot(x.baseAddress!, x.baseAddress!, count: x.count).squareRoot()
    return x.map { norm > 0 ? $0 / norm : 0 }
  }
}
