import Tensor
import Testing

/// The bf16 kernels: every vector variant this CPU runs computes the same bits
/// as the portable one (so forcing each covers them all); AMX's tdpbf16ps
/// sums its products in an order and precision of its own (not vdpbf16ps's:
/// measured on a Sapphire Rapids core), so it is held to the fp32 rounding of
/// a reordered sum and to giving the same bits on any thread count. The result is
/// within bfloat16's rounding of the fp32 layer, at sizes that are not
/// multiples of the 10-row tile, the 16-column panel, the two-panel step or
/// the 2-wide k pair.
@Suite(.serialized) struct BFloat16LinearTests {
  private func run(
    _ layer: BFloat16Linear, _ x: [Float], rows: Int, bias: [Float]?, start: [Float]? = nil, threads: Int = 1
  ) -> [Float] {
    Parallelism.threads = threads
    defer { Parallelism.threads = 1 }
    var y = start ?? [Float](repeating: .nan, count: rows * layer.outFeatures)
    layer.apply(x, rows: rows, bias: bias, accumulate: start != nil, into: &y)
    return y
  }

  static let sizes = [
    (1, 1, 1), (1, 37, 53), (5, 768, 17), (4, 16, 16), (7, 3, 15), (13, 301, 33), (50, 768, 40), (23, 64, 80),
    (10, 128, 48),
  ]

  @Test(arguments: sizes)
  func everyVariantComputesThePortableResult(rows: Int, inFeatures: Int, outFeatures: Int) {
    // Values over many binades, so rounding and the order of the sums matter.
    var x = randomValues(rows * inFeatures, seed: 1)
    for index in stride(from: 0, to: x.count, by: 7) { x[index] *= 1000 }
    let layer = BFloat16Linear(
      weight: randomValues(outFeatures * inFeatures, seed: 2, range: -3...3), outFeatures: outFeatures,
      inFeatures: inFeatures)
    let bias = randomValues(outFeatures, seed: 3)
    let start = randomValues(rows * outFeatures, seed: 4)
    BFloat16Linear.force(.portable)
    defer { BFloat16Linear.force(nil) }
    let expected = run(layer, x, rows: rows, bias: bias)
    let expectedAccumulated = run(layer, x, rows: rows, bias: nil, start: start)
    for variant in BFloat16Linear.Variant.allCases where variant.isSupported && variant != .amx {
      #expect(BFloat16Linear.force(variant))
      for threads in [1, 2] {
        #expect(run(layer, x, rows: rows, bias: bias, threads: threads) == expected, "\(variant) threads \(threads)")
        #expect(run(layer, x, rows: rows, bias: nil, start: start, threads: threads) == expectedAccumulated)
      }
    }
    guard BFloat16Linear.force(.amx) else { return }
    let amx = run(layer, x, rows: rows, bias: bias)
    #expect(run(layer, x, rows: rows, bias: bias, threads: 2) == amx)
    let amxAccumulated = run(layer, x, rows: rows, bias: nil, start: start)
    #expect(run(layer, x, rows: rows, bias: nil, start: start, threads: 2) == amxAccumulated)
    // The same bfloat16 products summed in another order: within (k + 2) fp32 roundings of Σ|x·w|
    // (the weights' bfloat16 rounding moves that sum by under 1%).
    let w = randomValues(outFeatures * inFeatures, seed: 2, range: -3...3)
    for r in 0..<rows {
      for j in 0..<outFeatures {
        let magnitude = (0..<inFeatures).reduce(Float(0)) { $0 + abs(x[r * inFeatures + $1] * w[j * inFeatures + $1]) }
        let bound = Float(inFeatures + 2) * 0x1p-23 * magnitude * 1.02 + 1e-6
        let index = r * outFeatures + j
        #expect(abs(amx[index] - expected[index]) <= bound + 0x1p-23 * abs(bias[j]), "row \(r) column \(j)")
        #expect(abs(amxAccumulated[index] - expectedAccumulated[index]) <= bound + 0x1p-23 * abs(start[index]) * 2)
      }
    }
  }

  @Test(arguments: sizes)
  func staysWithinBFloat16RoundingOfFP32(rows: Int, inFeatures: Int, outFeatures: Int) {
    let x = randomValues(rows * inFeatures, seed: 5)
    let w = randomValues(outFeatures * inFeatures, seed: 6)
    let bias = randomValues(outFeatures, seed: 7)
    let layer = BFloat16Linear(weight: w, outFeatures: outFeatures, inFeatures: inFeatures)
    let expected = Reference.linear(x, rows: rows, weight: w, outFeatures: outFeatures, bias: nil)
    let got = run(layer, x, rows: rows, bias: nil)
    // bfloat16 keeps 8 significant bits (rounding error ≤ 2⁻⁸ relative); a product of two rounded
    // operands is off by at most about 2⁻⁷: |error| ≤ 2⁻⁷ Σ |x·w| (plus the fp32 sums' own rounding).
    for r in 0..<rows {
      for j in 0..<outFeatures {
        let bound = (0..<inFeatures).reduce(Float(0)) { $0 + abs(x[r * inFeatures + $1] * w[j * inFeatures + $1]) }
        let index = r * outFeatures + j
        #expect(abs(got[index] - expected[index]) <= bound * 1.01 / 128 + 1e-6, "row \(r) column \(j)")
      }
    }
    let withBias = run(layer, x, rows: rows, bias: bias)
    let start = randomValues(rows * outFeatures, seed: 8)
    let accumulated = run(layer, x, rows: rows, bias: bias, start: start)
    for index in 0..<(rows * outFeatures) {
      #expect(abs(withBias[index] - got[index] - bias[index % outFeatures]) <= 1e-5 * (1 + abs(got[index])))
      #expect(abs(accumulated[index] - start[index] - withBias[index]) <= 1e-5 * (1 + abs(withBias[index])))
    }
  }

  @Test func exactlyRepresentableValuesGiveExactSums() {
    // Small integers are exact in bfloat16 and their products and sums in fp32: no rounding at all.
    let (rows, inFeatures, outFeatures) = (11, 9, 35)
    let x = (0..<(rows * inFeatures)).map { Float($0 % 7 - 3) }
    let w = (0..<(outFeatures * inFeatures)).map { Float($0 % 5 - 2) }
    let layer = BFloat16Linear(weight: w, outFeatures: outFeatures, inFeatures: inFeatures)
    let bias = (0..<outFeatures).map { Float($0) }
    #expect(
      run(layer, x, rows: rows, bias: bias)
        == Reference.linear(x, rows: rows, weight: w, outFeatures: outFeatures, bias: bias))
  }

  @Test func theBestVariantThisCPUHasRuns() {
    let best = BFloat16Linear.Variant.allCases.last { $0.isSupported }
    #expect(BFloat16Linear.variant == best)
  }
}
