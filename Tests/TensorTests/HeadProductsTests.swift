import Tensor
import Testing

/// The attention head's two products: the AVX-512 kernels and OpenBLAS both
/// equal a double-precision reference to fp32 rounding, at lengths and head
/// widths that are not multiples of the 4-row or 16- and 64-column blocks,
/// with the head's columns inside wider q|k|v rows as the encoder lays them out.
@Suite(.serialized) struct HeadProductsTests {
  static let shapes = [(1, 1), (1, 64), (7, 5), (50, 64), (77, 64), (65, 72), (197, 64), (13, 130)]

  /// Q, K and V of one head at columns q, k and v of rows `stride` wide (the encoder's q|k|v layout).
  private func qkv(length: Int, headSize: Int) -> (values: [Float], stride: Int, q: Int, k: Int, v: Int) {
    let stride = 3 * headSize + 9
    return (
      randomValues(length * stride, seed: UInt64(length * 1000 + headSize)), stride, 3, 3 + headSize, 6 + 2 * headSize
    )
  }

  private func modes() -> [Bool] { HeadProducts.kernelsSupported ? [false, true] : [false] }

  @Test(arguments: shapes)
  func scoresEqualTheReference(length: Int, headSize: Int) {
    let (values, stride, q, k, _) = qkv(length: length, headSize: headSize)
    let scale: Float = 0.125
    var expected = [Double](repeating: 0, count: length * length)
    var bound = [Double](repeating: 0, count: length * length)
    for i in 0..<length {
      for j in 0..<length {
        for d in 0..<headSize {
          let product = Double(values[i * stride + q + d]) * Double(values[j * stride + k + d])
          expected[i * length + j] += Double(scale) * product
          bound[i * length + j] += abs(Double(scale) * product)
        }
      }
    }
    defer { HeadProducts.useKernels = true }
    for kernels in modes() {
      HeadProducts.useKernels = kernels
      #expect(HeadProducts.useKernels == kernels)
      var scores = [Float](repeating: .nan, count: length * length + 1)
      var scratch = [Float](repeating: .nan, count: HeadProducts.scratchCount(length: length, headSize: headSize))
      values.withUnsafeBufferPointer { v in
        HeadProducts.scores(
          q: v.baseAddress! + q, k: v.baseAddress! + k, stride: stride, length: length, headSize: headSize,
          scale: scale, scratch: &scratch, into: &scores)
      }
      #expect(scores[length * length].isNaN, "wrote past the scores")
      for index in 0..<(length * length) {
        // fp32 sums of headSize products: within headSize · 2⁻²³ of their absolute sum.
        #expect(
          abs(Double(scores[index]) - expected[index]) <= Double(headSize + 2) * 1.2e-7 * bound[index] + 1e-30,
          "kernels \(kernels) at \(index)")
      }
    }
  }

  @Test(arguments: shapes)
  func mixEqualsTheReference(length: Int, headSize: Int) {
    let (values, stride, _, _, v) = qkv(length: length, headSize: headSize)
    let p = randomValues(length * length, seed: 99).map { abs($0) }
    let outStride = headSize + 5
    var expected = [Double](repeating: 0, count: length * headSize)
    var bound = [Double](repeating: 0, count: length * headSize)
    for i in 0..<length {
      for d in 0..<headSize {
        for j in 0..<length {
          let product = Double(p[i * length + j]) * Double(values[j * stride + v + d])
          expected[i * headSize + d] += product
          bound[i * headSize + d] += abs(product)
        }
      }
    }
    defer { HeadProducts.useKernels = true }
    for kernels in modes() {
      HeadProducts.useKernels = kernels
      // The columns between heads (past headSize in each row) must stay untouched.
      var out = [Float](repeating: .nan, count: length * outStride)
      values.withUnsafeBufferPointer { values in
        HeadProducts.mix(
          p: p, v: values.baseAddress! + v, stride: stride, length: length, headSize: headSize, into: &out,
          outStride: outStride)
      }
      for i in 0..<length {
        for d in 0..<outStride {
          let got = out[i * outStride + d]
          if d >= headSize {
            #expect(got.isNaN, "kernels \(kernels) wrote column \(d) of row \(i)")
            continue
          }
          let index = i * headSize + d
          #expect(
            abs(Double(got) - expected[index]) <= Double(length + 2) * 1.2e-7 * bound[index] + 1e-30,
            "kernels \(kernels) at row \(i) column \(d)")
        }
      }
    }
  }

  @Test func thisMachineRunsTheKernelsWhereItHasAVX512() {
    // Default on: what the CPU supports, never forced off by an earlier test.
    #expect(HeadProducts.useKernels == HeadProducts.kernelsSupported)
  }
}
