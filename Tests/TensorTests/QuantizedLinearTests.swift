import Tensor
import Testing

/// The int8 kernels: every variant this CPU runs (portable, AVX2, AVX-512
/// VNNI) computes the same integers as the portable one (so forcing each
/// covers them all), and the result is within int8's rounding of the fp32
/// layer, at sizes that are not multiples of the 5- and 10-row tiles, the
/// 16-column panel, the two-panel VNNI step or the 4-wide k group.
@Suite(.serialized) struct QuantizedLinearTests {
  private func run(
    _ layer: QuantizedLinear, _ x: [Float], rows: Int, bias: [Float]?, start: [Float]? = nil, threads: Int = 1
  ) -> [Float] {
    Parallelism.threads = threads
    defer { Parallelism.threads = 1 }
    var y = start ?? [Float](repeating: .nan, count: rows * layer.outFeatures)
    layer.apply(x, rows: rows, bias: bias, accumulate: start != nil, into: &y)
    return y
  }

  /// ‖a − b‖ / ‖b‖.
  private func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    let difference = zip(a, b).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    return (difference / b.reduce(0) { $0 + $1 * $1 }).squareRoot()
  }

  static let sizes = [
    (1, 1, 1), (1, 37, 53), (5, 768, 17), (4, 16, 16), (7, 3, 15), (13, 301, 33), (50, 768, 40), (23, 64, 80),
    (10, 128, 48),
  ]

  @Test(arguments: sizes)
  func everyVariantComputesThePortableResult(rows: Int, inFeatures: Int, outFeatures: Int) {
    let x = randomValues(rows * inFeatures, seed: 1)
    let layer = QuantizedLinear(
      weight: randomValues(outFeatures * inFeatures, seed: 2), outFeatures: outFeatures, inFeatures: inFeatures)
    let bias = randomValues(outFeatures, seed: 3)
    let start = randomValues(rows * outFeatures, seed: 4)
    QuantizedLinear.force(.portable)
    defer { QuantizedLinear.force(nil) }
    let expected = run(layer, x, rows: rows, bias: bias)
    let expectedAccumulated = run(layer, x, rows: rows, bias: nil, start: start)
    for variant in QuantizedLinear.Variant.allCases where variant.isSupported {
      #expect(QuantizedLinear.force(variant))
      for threads in [1, 2] {
        #expect(run(layer, x, rows: rows, bias: bias, threads: threads) == expected, "\(variant) threads \(threads)")
        #expect(run(layer, x, rows: rows, bias: nil, start: start, threads: threads) == expectedAccumulated)
      }
    }
  }

  @Test(arguments: sizes)
  func staysWithinInt8RoundingOfFP32(rows: Int, inFeatures: Int, outFeatures: Int) {
    let x = randomValues(rows * inFeatures, seed: 5)
    let w = randomValues(outFeatures * inFeatures, seed: 6)
    let bias = randomValues(outFeatures, seed: 7)
    let layer = QuantizedLinear(weight: w, outFeatures: outFeatures, inFeatures: inFeatures)
    let expected = Reference.linear(x, rows: rows, weight: w, outFeatures: outFeatures, bias: nil)
    let got = run(layer, x, rows: rows, bias: nil)
    // 8-bit activations and 7-bit weights on uniform values: about 1% of the output's norm.
    #expect(relativeError(got, expected) < 0.03, "relative error \(relativeError(got, expected))")
    let withBias = run(layer, x, rows: rows, bias: bias)
    let start = randomValues(rows * outFeatures, seed: 8)
    let accumulated = run(layer, x, rows: rows, bias: bias, start: start)
    for index in 0..<(rows * outFeatures) {
      #expect(abs(withBias[index] - got[index] - bias[index % outFeatures]) <= 1e-5 * (1 + abs(got[index])))
      #expect(abs(accumulated[index] - start[index] - withBias[index]) <= 1e-5 * (1 + abs(withBias[index])))
    }
  }

  @Test func zeroRowsAndWeightsGiveTheBiasExactly() {
    let (rows, inFeatures, outFeatures) = (3, 20, 18)
    var w = randomValues(outFeatures * inFeatures, seed: 9)
    for i in 0..<inFeatures { w[5 * inFeatures + i] = 0 }  // one output channel all zero
    var x = randomValues(rows * inFeatures, seed: 10)
    for i in 0..<inFeatures { x[inFeatures + i] = 0 }  // one token all zero
    let bias = randomValues(outFeatures, seed: 11)
    let y = run(QuantizedLinear(weight: w, outFeatures: outFeatures, inFeatures: inFeatures), x, rows: rows, bias: bias)
    #expect((0..<outFeatures).allSatisfy { y[outFeatures + $0] == bias[$0] })
    #expect((0..<rows).allSatisfy { y[$0 * outFeatures + 5] == bias[5] })
  }

  @Test func thisMachineRunsAVX2AndTheBestVariantItHas() {
    // The CI machines are AVX2 x86-64: without it only the portable kernel would be tested.
    #expect(QuantizedLinear.Variant.avx2.isSupported)
    let best = QuantizedLinear.Variant.allCases.last { $0.isSupported }
    #expect(QuantizedLinear.variant == best)
  }
}
