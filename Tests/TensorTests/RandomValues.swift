import Tensor

/// Uniform test values, reproducible by seed: the inputs the linear-kernel suites share.
func randomValues(_ count: Int, seed: UInt64, range: ClosedRange<Float> = -1...1) -> [Float] {
  var rng = SplitMix64(seed: seed)
  return (0..<count).map { _ in rng.nextFloat(in: range) }
}
