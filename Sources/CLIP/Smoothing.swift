/// SmoothQuant's migration of activation outliers into the weights, folded
/// into the LayerNorm that feeds a linear layer, for int8. Real CLIP
/// checkpoints have a few LayerNorm channels with weights tens of times the
/// others; per-token int8 then spends its whole range on them and rounds the
/// rest to a few levels. Dividing channel j of the LayerNorm's output by s_j
/// and multiplying column j of the weight by s_j computes the same function
/// with the outlier moved into the (per-channel quantised) weight.
///
/// Data-free: the LayerNorm's input is normalised, so channel j of its output
/// is about |γ_j| + |β_j| in magnitude; s_j = √(that / max_i |W[i, j]|)
/// balances it against the weight column (SmoothQuant's α = 0.5).
enum Smoothing {
  static func fold(
    normWeight: inout [Float], normBias: inout [Float], into weight: inout [Float], outFeatures: Int, inFeatures: Int
  ) {
    precondition(
      normWeight.count == inFeatures && normBias.count == inFeatures && weight.count == outFeatures * inFeatures)
    var columnMax = [Float](repeating: 0, count: inFeatures)
    for row in 0..<outFeatures {
      for j in 0..<inFeatures { columnMax[j] = max(columnMax[j], abs(weight[row * inFeatures + j])) }
    }
    let scales = (0..<inFeatures).map { j -> Float in
      let activation = abs(normWeight[j]) + abs(normBias[j])
      guard activation > 0, columnMax[j] > 0 else { return 1 }
      return (activation / columnMax[j]).squareRoot()
    }
    // Relative to the mean scale: the fold only reshapes across channels.
    let mean = scales.reduce(0, +) / Float(inFeatures)
    let relative = scales.map { $0 / mean }
    for j in 0..<inFeatures {
      normWeight[j] /= relative[j]
      normBias[j] /= relative[j]
    }
    for row in 0..<outFeatures {
      for j in 0..<inFeatures { weight[row * inFeatures + j] *= relative[j] }
    }
  }
}
