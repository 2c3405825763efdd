import Tensor
import Testing

/// The packed-weight kernel (and its cblas fallback) against the naive
/// reference at sizes that are not multiples of the 10×32 or 6×16 tile or the k block.
@Suite(.serialized) struct PackedLinearTests {
  private func random(_ count: Int, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in rng.nextFloat(in: -1...1) }
  }

  @Test(arguments: [
    (1, 1, 1), (1, 37, 53), (5, 768, 17), (6, 16, 16), (7, 3, 15), (13, 300, 33), (50, 520, 40), (9, 1000, 20),
    // Tall inputs: two threads split rows (at multiples of the 10-row tile), and past 480 rows the kernel chunks them.
    (233, 70, 45), (517, 300, 33),
  ])
  func matchesReference(rows: Int, inFeatures: Int, outFeatures: Int) {
    let x = random(rows * inFeatures, seed: 1)
    let w = random(outFeatures * inFeatures, seed: 2)
    let bias = random(outFeatures, seed: 3)
    let start = random(rows * outFeatures, seed: 4)
    let expected = Reference.linear(x, rows: rows, weight: w, outFeatures: outFeatures, bias: bias)
    let tolerance = Float(inFeatures).squareRoot() * 2e-6 + 1e-6
    for (pack, avx2Only) in [(true, false), (true, true), (false, false)] {
      PackedLinear.limitToAVX2(avx2Only)
      defer { PackedLinear.limitToAVX2(false) }
      let layer = PackedLinear(weight: w, outFeatures: outFeatures, inFeatures: inFeatures, pack: pack)
      for threads in [1, 2] {
        Parallelism.threads = threads
        var y = [Float](repeating: .nan, count: rows * outFeatures)
        layer.apply(x, rows: rows, bias: bias, into: &y)
        #expect(
          zip(y, expected).allSatisfy { abs($0 - $1) <= tolerance },
          "pack \(pack) AVX2 only \(avx2Only) threads \(threads)")
        var accumulated = start
        layer.apply(x, rows: rows, bias: nil, accumulate: true, into: &accumulated)
        let expectedAccumulated = zip(
          start, Reference.linear(x, rows: rows, weight: w, outFeatures: outFeatures, bias: nil)
        ).map { $0 + $1 }
        #expect(zip(accumulated, expectedAccumulated).allSatisfy { abs($0 - $1) <= tolerance })
      }
    }
    Parallelism.threads = 1
  }

  /// Short inputs at two threads: x laid out once and column panels claimed
  /// two at a time (`ckernels_packed_linear_shared`) must give the one-thread
  /// kernel's bits exactly (golden outputs depend on it), with and without bias
  /// and accumulate, for widths that end in a part-filled panel.
  @Test(arguments: [(1, 768, 2304), (7, 300, 45), (50, 768, 3072), (50, 3072, 768), (199, 520, 100)])
  func sharedPanelsGiveTheOneThreadBits(rows: Int, inFeatures: Int, outFeatures: Int) {
    let x = random(rows * inFeatures, seed: 4)
    let layer = PackedLinear(
      weight: random(outFeatures * inFeatures, seed: 5), outFeatures: outFeatures, inFeatures: inFeatures)
    let bias = random(outFeatures, seed: 6)
    let start = random(rows * outFeatures, seed: 7)
    func outputs(threads: Int) -> [[Float]] {
      Parallelism.threads = threads
      defer { Parallelism.threads = 1 }
      var plain = [Float](repeating: .nan, count: rows * outFeatures)
      layer.apply(x, rows: rows, bias: bias, into: &plain)
      var accumulated = start
      layer.apply(x, rows: rows, bias: nil, accumulate: true, into: &accumulated)
      return [plain, accumulated]
    }
    let one = outputs(threads: 1)
    let two = outputs(threads: 2)
    #expect(one.map { $0.map(\.bitPattern) } == two.map { $0.map(\.bitPattern) })
  }

  @Test func thisMachineRunsThePackedKernel() {
    // The CI machines are AVX2+FMA x86-64; a fallback here would hide the kernel from every other test.
    #expect(PackedLinear.packedSupported)
  }
}
