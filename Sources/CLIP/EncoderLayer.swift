import ModelIO
import Tensor

/// One pre-LN Transformer encoder layer of a CLIP tower (`CLIPEncoderLayer`):
///
///     x ← x + out_proj(attention(layer_norm1(x)))
///     x ← x + fc2(act(fc1(layer_norm2(x))))
///
/// q, k and v projections are fused into one (3H, H) matrix at load so a
/// batch of sequences needs one GEMM for all three. In int8 the LayerNorms
/// are folded with the layers they feed (`Smoothing`).
struct EncoderLayer: Sendable {
  let norm1Weight: [Float]  // (H)
  let norm1Bias: [Float]  // (H)
  let qkv: Linear  // (3H, H): q_proj, k_proj, v_proj weights stacked
  let qkvBias: [Float]  // (3H)
  let out: Linear  // (H, H)
  let outBias: [Float]  // (H)
  let norm2Weight: [Float]  // (H)
  let norm2Bias: [Float]  // (H)
  let fc1: Linear  // (I, H)
  let fc1Bias: [Float]  // (I)
  let fc2: Linear  // (H, I)
  let fc2Bias: [Float]  // (H)

  /// Loads `prefix` (e.g. `vision_model.encoder.layers.3.`) from `file`.
  init(file: SafeTensors, prefix: String, tower: CLIPConfig.Tower, precision: Precision) throws(ModelError) {
    let h = tower.hiddenSize
    let i = tower.intermediateSize
    func load(_ name: String, _ shape: [Int]) throws(ModelError) -> [Float] {
      try file.tensor(prefix + name, shape: shape).scalars
    }
    let weights = Weights(
      norm1Weight: try load("layer_norm1.weight", [h]), norm1Bias: try load("layer_norm1.bias", [h]),
      qkv: try load("self_attn.q_proj.weight", [h, h]) + load("self_attn.k_proj.weight", [h, h])
        + load("self_attn.v_proj.weight", [h, h]),
      qkvBias: try load("self_attn.q_proj.bias", [h]) + load("self_attn.k_proj.bias", [h])
        + load("self_attn.v_proj.bias", [h]),
      out: try load("self_attn.out_proj.weight", [h, h]), outBias: try load("self_attn.out_proj.bias", [h]),
      norm2Weight: try load("layer_norm2.weight", [h]), norm2Bias: try load("layer_norm2.bias", [h]),
      fc1: try load("mlp.fc1.weight", [i, h]), fc1Bias: try load("mlp.fc1.bias", [i]),
      fc2: try load("mlp.fc2.weight", [h, i]), fc2Bias: try load("mlp.fc2.bias", [h]))
    self.init(weights, tower: tower, precision: precision)
  }

  /// One layer's tensors as the checkpoint holds them (q|k|v stacked).
  struct Weights {
    var norm1Weight, norm1Bias, qkv, qkvBias, out, outBias: [Float]
    var norm2Weight, norm2Bias, fc1, fc1Bias, fc2, fc2Bias: [Float]
  }

  init(_ weights: Weights, tower: CLIPConfig.Tower, precision: Precision) {
    var weights = weights
    let (h, i) = (tower.hiddenSize, tower.intermediateSize)
    if precision == .int8 {
      Smoothing.fold(
        normWeight: &weights.norm1Weight, normBias: &weights.norm1Bias, into: &weights.qkv, outFeatures: 3 * h,
        inFeatures: h)
      Smoothing.fold(
        normWeight: &weights.norm2Weight, normBias: &weights.norm2Bias, into: &weights.fc1, outFeatures: i,
        inFeatures: h)
    }
    norm1Weight = weights.norm1Weight
    norm1Bias = weights.norm1Bias
    qkv = Linear(weight: weights.qkv, outFeatures: 3 * h, inFeatures: h, precision: precision)
    qkvBias = weights.qkvBias
    out = Linear(weight: weights.out, outFeatures: h, inFeatures: h, precision: precision)
    outBias = weights.outBias
    norm2Weight = weights.norm2Weight
    norm2Bias = weights.norm2Bias
    fc1 = Linear(weight: weights.fc1, outFeatures: i, inFeatures: h, precision: precision)
    fc1Bias = weights.fc1Bias
    fc2 = Linear(weight: weights.fc2, outFeatures: h, inFeatures: i, precision: precision)
    fc2Bias = weights.fc2Bias
  }

  /// The `count` layers under `prefix` (e.g. `vision_model.encoder.layers.`).
  static func loadAll(
    file: SafeTensors, prefix: String, tower: CLIPConfig.Tower, precision: Precision
  ) throws(ModelError) -> [EncoderLayer] {
    var layers: [EncoderLayer] = []
    for i in 0..<tower.layers {
      layers.append(try EncoderLayer(file: file, prefix: "\(prefix)\(i).", tower: tower, precision: precision))
    }
    return layers
  }

  /// Random weights of the given shape (benchmarks), reproducible by `seed`;
  /// `outlierChannels` get LayerNorm weights 30 times the others, as real
  /// CLIP checkpoints have (the int8 accuracy tests).
  init(random tower: CLIPConfig.Tower, seed: UInt64, precision: Precision, outlierChannels: [Int] = []) {
    var rng = SplitMix64(seed: seed)
    let h = tower.hiddenSize
    let i = tower.intermediateSize
    func random(_ count: Int, _ fanIn: Int) -> [Float] {
      let scale = 1 / Float(fanIn).squareRoot()
      return (0..<count).map { _ in rng.nextFloat(in: -scale...scale) }
    }
    var norm = [Float](repeating: 1, count: h)
    for channel in outlierChannels { norm[channel] *= 30 }
    let weights = Weights(
      norm1Weight: norm, norm1Bias: [Float](repeating: 0, count: h), qkv: random(3 * h * h, h),
      qkvBias: random(3 * h, h), out: random(h * h, h), outBias: random(h, h), norm2Weight: norm,
      norm2Bias: [Float](repeating: 0, count: h), fc1: random(i * h, h), fc1Bias: random(i, h),
      fc2: random(h * i, i), fc2Bias: random(h, i))
    self.init(weights, tower: tower, precision: precision)
  }

  /// x (batch·length, H) in place. `scratch` is sized by `EncoderScratch`.
  func forward(
    _ x: UnsafeMutablePointer<Float>, batch: Int, length: Int, tower: CLIPConfig.Tower, causal: Bool,
    scratch: inout EncoderScratch
  ) {
    let h = tower.hiddenSize
    let rows = batch * length
    let threads = Parallelism.threads
    scratch.reserve(rows: rows, length: length, threads: threads, tower: tower)
    scratch.withBuffers { normed, qkvOut, attention, hidden, scores in
      LayerNorm.apply(
        x, rows: rows, columns: h, weight: norm1Weight, bias: norm1Bias, eps: tower.layerNormEps, into: normed)
      qkv.apply(normed, rows: rows, bias: qkvBias, into: qkvOut)
      Attention.apply(
        qkv: qkvOut, batch: batch, length: length, hidden: h, heads: tower.heads, causal: causal, threads: threads,
        scores: scores, into: attention)
      out.apply(attention, rows: rows, bias: outBias, accumulate: true, into: x)

      LayerNorm.apply(
        x, rows: rows, columns: h, weight: norm2Weight, bias: norm2Bias, eps: tower.layerNormEps, into: normed)
      let i = tower.intermediateSize
      fc1.apply(normed, rows: rows, bias: fc1Bias, into: hidden)
      let (address, activation) = (UInt(bitPattern: hidden), tower.activation)
      Parallelism.split(rows) { range in
        let part = UnsafeMutableBufferPointer(
          start: UnsafeMutablePointer<Float>(bitPattern: address)! + range.lowerBound * i, count: range.count * i)
        activation.apply(part)
      }
      fc2.apply(hidden, rows: rows, bias: fc2Bias, accumulate: true, into: x)
    }
  }
}

/// Multi-head scaled dot-product attention over fused q|k|v rows. The
/// (sequence, head) pairs are independent small GEMMs; with several threads
/// they are split across them (each with its own scores buffer).
enum Attention {
  /// qkv (batch·length, 3H) → out (batch·length, H); scores holds `threads` buffers of
  /// `EncoderScratch.scoresCount` floats.
  static func apply(
    qkv: UnsafePointer<Float>, batch: Int, length: Int, hidden: Int, heads: Int, causal: Bool, threads: Int,
    scores: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>
  ) {
    let jobs = batch * heads
    if threads <= 1 || jobs == 1 {
      for job in 0..<jobs {
        head(job, qkv: qkv, length: length, hidden: hidden, heads: heads, causal: causal, scores: scores, out: out)
      }
      return
    }
    let (qkvAddress, scoresAddress, outAddress) = (
      UInt(bitPattern: qkv), UInt(bitPattern: scores), UInt(bitPattern: out)
    )
    Parallelism.forEachPart(threads) { part in
      let scores =
        UnsafeMutablePointer<Float>(bitPattern: scoresAddress)! + part * EncoderScratch.scoresCount(length, hidden)
      for job in stride(from: part, to: jobs, by: threads) {
        head(
          job, qkv: UnsafePointer(bitPattern: qkvAddress)!, length: length, hidden: hidden, heads: heads,
          causal: causal,
          scores: scores, out: UnsafeMutablePointer(bitPattern: outAddress)!)
      }
    }
  }

  /// One (sequence, head): softmax(scale · Q Kᵀ [+ causal mask]) V.
  private static func head(
    _ job: Int, qkv: UnsafePointer<Float>, length: Int, hidden: Int, heads: Int, causal: Bool,
    scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>
  ) {
    let (b, head) = job.quotientAndRemainder(dividingBy: heads)
    let headSize = hidden / heads
    let stride = 3 * hidden
    let base = qkv + b * length * stride
    let q = base + head * headSize
    let k = base + hidden + head * headSize
    let v = base + 2 * hidden + head * headSize
    // scores (L, L) = scale · Q Kᵀ; the kernels' scratch follows the scores.
    HeadProducts.scores(
      q: q, k: k, stride: stride, length: length, headSize: headSize, scale: 1 / Float(headSize).squareRoot(),
      scratch: scores + length * length, into: scores)
    if causal {
      for row in 0..<length {
        for column in (row + 1)..<max(length, row + 1) { scores[row * length + column] = -.infinity }
      }
    }
    Softmax.rows(scores, rows: length, columns: length)
    // out_h (L, headSize) = P V
    HeadProducts.mix(
      p: scores, v: v, stride: stride, length: length, headSize: headSize,
      into: out + b * length * hidden + head * headSize, outStride: hidden)
  }
}

/// Activations of one forward pass, grown to the largest batch seen and then
/// reused: no allocation per frame after warm-up.
struct EncoderScratch: Sendable {
  private var storage: [Float] = []
  private var rows = 0
  private var length = 0
  private var threads = 0
  private var hidden = 0
  private var intermediate = 0

  mutating func reserve(rows: Int, length: Int, threads: Int, tower: CLIPConfig.Tower) {
    if rows <= self.rows && length <= self.length && threads <= self.threads && tower.hiddenSize == hidden
      && tower.intermediateSize == intermediate
    {
      return
    }
    self.rows = max(rows, self.rows)
    self.length = max(length, self.length)
    self.threads = max(threads, self.threads)
    hidden = tower.hiddenSize
    intermediate = tower.intermediateSize
    let count =
      self.rows * (hidden + 3 * hidden + hidden + intermediate)
      + self.threads * Self.scoresCount(self.length, hidden)
    storage = [Float](repeating: 0, count: count)
  }

  /// Floats of one thread's attention scratch: the (L, L) scores and the head kernels' scratch (at most L·H).
  static func scoresCount(_ length: Int, _ hidden: Int) -> Int {
    length * length + HeadProducts.scratchCount(length: length, headSize: hidden)
  }

  /// normed (rows, H) | qkv (rows, 3H) | attention (rows, H) | hidden (rows, I) | scores (threads, scoresCount)
  mutating func withBuffers(
    _ body: (
      UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
      UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>
    ) -> Void
  ) {
    let (r, h, i) = (rows, hidden, intermediate)
    storage.withUnsafeMutableBufferPointer { buffer in
      let normed = buffer.baseAddress!
      let qkv = normed + r * h
      let attention = qkv + 3 * r * h
      let hiddenBuffer = attention + r * h
      let scores = hiddenBuffer + r * i
      body(normed, qkv, attention, hiddenBuffer, scores)
    }
  }
}
