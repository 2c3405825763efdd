/// Layer normalisation over the last dimension, as `torch.nn.LayerNorm`:
/// y = (x − mean) / sqrt(var + eps) · weight + bias, biased variance.
public enum LayerNorm {
  /// Normalises `rows` rows of `columns` from `x` into `y` (may alias).
  public static func apply(
    _ x: UnsafePointer<Float>, rows: Int, columns: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    eps: Float, into y: UnsafeMutablePointer<Float>
  ) {
    for r in 0..<rows {
      let row = x + r * columns
      let out = y + r * columns
      let mean = Reductions.sum(row, count: columns) / Float(columns)
      let variance = Reductions.sumOfSquaredDeviations(row, count: columns, mean: mean) / Float(columns)
      let scale = 1 / (variance + eps).squareRoot()
      for c in 0..<columns { out[c] = (row[c] - mean) * scale * weight[c] + bias[c] }
    }
  }

  /// The same over arrays: `x` (rows, columns) → a new (rows, columns).
  public static func apply(_ x: [Float], rows: Int, weight: [Float], bias: [Float], eps: Float) -> [Float] {
    let columns = weight.count
    precondition(x.count == rows * columns && bias.count == columns, "LayerNorm: x must be (rows, weight.count)")
    var y = [Float](repeating: 0, count: x.count)
    x.withUnsafeBufferPointer { x in
      weight.withUnsafeBufferPointer { weight in
        bias.withUnsafeBufferPointer { bias in
          y.withUnsafeMutableBufferPointer { y in
            guard let input = x.baseAddress, let output = y.baseAddress else { return }
            apply(
              input, rows: rows, columns: columns, weight: weight.baseAddress!, bias: bias.baseAddress!, eps: eps,
              into: output)
          }
        }
      }
    }
    return y
  }
}

/// Float reductions with SIMD8 accumulators: scalar loops never vectorise in
/// Swift (no reassociation), and these are ≈ 5× faster. Products are a
/// multiply and an add, not `addProduct`: built for baseline x86-64, Swift
/// lowers a fused SIMD8 multiply-add to eight calls of libm's `fmaf` (a tenth
/// of an int8 ViT-B/32 image went to LayerNorm's variance that way).
public enum Reductions {
  public static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var i = 0
    let raw = UnsafeRawPointer(x)
    while i + 8 <= count {
      acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
      i += 8
    }
    var total = acc.sum()
    while i < count {
      total += x[i]
      i += 1
    }
    return total
  }

  public static func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, count: Int, mean: Float) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    let m = SIMD8<Float>(repeating: mean)
    var i = 0
    let raw = UnsafeRawPointer(x)
    while i + 8 <= count {
      let d = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - m
      acc += d * d
      i += 8
    }
    var total = acc.sum()
    while i < count {
      total += (x[i] - mean) * (x[i] - mean)
      i += 1
    }
    return total
  }

  /// Σ a[i]·b[i].
  public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var i = 0
    let ra = UnsafeRawPointer(a)
    let rb = UnsafeRawPointer(b)
    while i + 8 <= count {
      acc +=
        ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
      i += 8
    }
    var total = acc.sum()
    while i < count {
      total += a[i] * b[i]
      i += 1
    }
    return total
  }
}
