/// Row-wise softmax in place, max-subtracted for stability.
public enum Softmax {
  public static func rows(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
    for r in 0..<rows {
      let row = x + r * columns
      var top = -Float.infinity
      for c in 0..<columns { top = max(top, row[c]) }
      for c in 0..<columns { row[c] -= top }
      FastMath.exp(UnsafeMutableBufferPointer(start: row, count: columns))
      let scale = 1 / Reductions.sum(row, count: columns)
      for c in 0..<columns { row[c] *= scale }
    }
  }
}
