import Tensor

#if canImport(Glibc)
  import Glibc
#endif

/// The comparison for `monitor-bench mamba`: one causal pre-LN Transformer
/// layer of the same width, stepped one frame at a time with a KV cache
/// (the usual way to run attention online). Its per-step cost and memory
/// grow with the history; Mamba's do not. Benchmark-only code.
struct KVCacheTransformer {
  let width: Int
  let heads: Int
  let capacity: Int
  private let qkv: [Float]  // (3·width, width)
  private let out: [Float]  // (width, width)
  private let up: [Float]  // (4·width, width)
  private let down: [Float]  // (width, 4·width)
  private let ones: [Float]
  private let zeros: [Float]
  private var keys: [Float]  // (capacity, width)
  private var values: [Float]  // (capacity, width)
  private(set) var length = 0
  private var scratch: [Float]

  init(width: Int, capacity: Int, seed: UInt64) {
    precondition(width % 64 == 0, "width must be a multiple of the 64-wide heads")
    self.width = width
    heads = width / 64
    self.capacity = capacity
    var rng = SplitMix64(seed: seed)
    func random(_ n: Int, _ fanIn: Int) -> [Float] {
      let scale = 1 / Float(fanIn).squareRoot()
      return (0..<n).map { _ in rng.nextFloat(in: -scale...scale) }
    }
    qkv = random(3 * width * width, width)
    out = random(width * width, width)
    up = random(4 * width * width, width)
    down = random(4 * width * width, 4 * width)
    ones = [Float](repeating: 1, count: width)
    zeros = [Float](repeating: 0, count: width)
    keys = random(capacity * width, 1)
    values = random(capacity * width, 1)
    scratch = [Float](repeating: 0, count: 3 * width + width + 4 * width + capacity + width + width)
  }

  /// Pretends `history` frames were already seen (random keys and values).
  mutating func prefill(_ history: Int) {
    precondition(history < capacity)
    length = history
  }

  /// One frame through the layer; x is updated in place.
  mutating func step(_ x: UnsafeMutablePointer<Float>) {
    precondition(length < capacity, "KV cache full")
    let w = width
    let t = length
    var work = scratch
    scratch = []
    defer { scratch = work }
    work.withUnsafeMutableBufferPointer { buffer in
      let qkvOut = buffer.baseAddress!
      let attention = qkvOut + 3 * w
      let hidden = attention + w
      let scores = hidden + 4 * w
      let normed = scores + capacity
      let mixed = normed + w
      LayerNorm.apply(x, rows: 1, columns: w, weight: ones, bias: zeros, eps: 1e-5, into: normed)
      BLAS.linear(normed, rows: 1, inFeatures: w, weight: qkv, outFeatures: 3 * w, bias: nil, into: qkvOut)
      keys.withUnsafeMutableBufferPointer { keys in
        values.withUnsafeMutableBufferPointer { values in
          (keys.baseAddress! + t * w).update(from: qkvOut + w, count: w)
          (values.baseAddress! + t * w).update(from: qkvOut + 2 * w, count: w)
          for head in 0..<heads {
            let offset = head * 64
            // scores (t+1) = K_h (t+1, 64; stride w) · q_h, scaled
            BLAS.gemv(
              rows: t + 1, columns: 64, matrix: keys.baseAddress! + offset, stride: w, x: qkvOut + offset, y: scores,
              transpose: false, alpha: 0.125)
            Self.softmax(scores, count: t + 1)
            // attention_h (64) = V_hᵀ (64, t+1) · p
            BLAS.gemv(
              rows: t + 1, columns: 64, matrix: values.baseAddress! + offset, stride: w, x: scores,
              y: attention + offset, transpose: true, alpha: 1)
          }
        }
      }
      BLAS.linear(attention, rows: 1, inFeatures: w, weight: out, outFeatures: w, bias: nil, into: mixed)
      for i in 0..<w { x[i] += mixed[i] }
      LayerNorm.apply(x, rows: 1, columns: w, weight: ones, bias: zeros, eps: 1e-5, into: normed)
      BLAS.linear(normed, rows: 1, inFeatures: w, weight: up, outFeatures: 4 * w, bias: nil, into: hidden)
      FastMath.silu(UnsafeMutableBufferPointer(start: hidden, count: 4 * w))
      BLAS.linear(hidden, rows: 1, inFeatures: 4 * w, weight: down, outFeatures: w, bias: nil, into: mixed)
      for i in 0..<w { x[i] += mixed[i] }
    }
    length += 1
  }

  private static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
    var maximum = -Float.infinity
    for i in 0..<count { maximum = max(maximum, x[i]) }
    for i in 0..<count { x[i] -= maximum }
    FastMath.exp(UnsafeMutableBufferPointer(start: x, count: count))
    let total = Reductions.sum(x, count: count)
    for i in 0..<count { x[i] /= total }
  }

  /// Memory the cache holds at its current length.
  var cacheBytes: Int { 2 * length * width * 4 }
}
