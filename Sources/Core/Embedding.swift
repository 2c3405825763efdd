/// The scalar maths on embeddings that several modules share (rule scoring,
/// the training-free temporal pooling, `monitor embed`), accumulated in
/// Double so results do not depend on the order of a SIMD reduction. The
/// encoders' own batched kernels (CLIP's L2 normalisation of a whole batch)
/// stay in their modules.
public enum Embedding {
  /// Σ aᵢbᵢ.
  public static func dot(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count, "embedding sizes differ: \(a.count) vs \(b.count)")
    var total = 0.0
    for i in a.indices { total += Double(a[i]) * Double(b[i]) }
    return total
  }

  /// Cosine of the angle between `a` and `b` (0 when either is zero).
  public static func cosine(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count, "embedding sizes differ: \(a.count) vs \(b.count)")
    var dot = 0.0
    var na = 0.0
    var nb = 0.0
    for i in a.indices {
      dot += Double(a[i]) * Double(b[i])
      na += Double(a[i]) * Double(a[i])
      nb += Double(b[i]) * Double(b[i])
    }
    return na > 0 && nb > 0 ? dot / (na * nb).squareRoot() : 0
  }

  /// Mean of the vectors, scaled to unit length (zero stays zero).
  public static func normalisedMean(_ vectors: [[Float]]) -> [Float] {
    var mean = [Double](repeating: 0, count: vectors[0].count)
    for vector in vectors {
      precondition(vector.count == mean.count, "embedding sizes differ")
      for i in vector.indices { mean[i] += Double(vector[i]) }
    }
    let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return mean.map { norm > 0 ? Float($0 / norm) : 0 }
  }
}
