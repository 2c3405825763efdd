#if canImport(Glibc)
  import Glibc
#endif

/// Naive, obviously-correct versions of every fast kernel, in Double where it
/// helps, for tests to compare against (never used on the hot path).
public enum Reference {
  /// y (rows, out) = x (rows, in) · Wᵀ + bias, accumulated in Double.
  public static func linear(_ x: [Float], rows: Int, weight: [Float], outFeatures: Int, bias: [Float]?) -> [Float] {
    let inFeatures = x.count / rows
    var y = [Float](repeating: 0, count: rows * outFeatures)
    for r in 0..<rows {
      for o in 0..<outFeatures {
        var acc = Double(bias?[o] ?? 0)
        for i in 0..<inFeatures { acc += Double(x[r * inFeatures + i]) * Double(weight[o * inFeatures + i]) }
        y[r * outFeatures + o] = Float(acc)
      }
    }
    return y
  }

  public static func exp(_ x: [Float]) -> [Float] { x.map { Float(Glibc.exp(Double($0))) } }
  public static func silu(_ x: [Float]) -> [Float] { x.map { Float(Double($0) / (1 + Glibc.exp(-Double($0)))) } }
  public static func softplus(_ x: [Float]) -> [Float] {
    x.map { $0 > 20 ? $0 : Float(Glibc.log1p(Glibc.exp(Double($0)))) }
  }

  public static func quickGELU(_ x: [Float]) -> [Float] {
    x.map { Float(Double($0) / (1 + Glibc.exp(-1.702 * Double($0)))) }
  }
  public static func gelu(_ x: [Float]) -> [Float] {
    x.map { Float(0.5 * Double($0) * (1 + Glibc.erf(Double($0) / 2.0.squareRoot()))) }
  }

  public static func geluTanh(_ x: [Float]) -> [Float] {
    x.map {
      let x = Double($0)
      return Float(0.5 * x * (1 + Glibc.tanh((2 / Double.pi).squareRoot() * (x + 0.044_715 * x * x * x))))
    }
  }

  /// Row-wise softmax, in Double.
  public static func softmax(_ x: [Float], columns: Int) -> [Float] {
    var y = x
    for r in 0..<(x.count / columns) {
      let row = x[(r * columns)..<((r + 1) * columns)].map(Double.init)
      let top = row.max() ?? 0
      let e = row.map { Glibc.exp($0 - top) }
      let total = e.reduce(0, +)
      for c in 0..<columns { y[r * columns + c] = Float(e[c] / total) }
    }
    return y
  }

  public static func layerNorm(_ x: [Float], columns: Int, weight: [Float], bias: [Float], eps: Float) -> [Float] {
    var y = x
    for r in 0..<(x.count / columns) {
      let row = x[(r * columns)..<((r + 1) * columns)].map(Double.init)
      let mean = row.reduce(0, +) / Double(columns)
      let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(columns)
      for c in 0..<columns {
        y[r * columns + c] = Float(
          (row[c] - mean) / (variance + Double(eps)).squareRoot() * Double(weight[c]) + Double(bias[c]))
      }
    }
    return y
  }
}
