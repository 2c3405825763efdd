import Tensor
import Testing

/// The C elementwise kernels (AVX2 and AVX-512) compute FastMath's SIMD8
/// operations in the same order, so every width gives the same bits as width 0,
/// on lengths that leave every tail size, over the whole range exp is defined
/// on, past it, and at infinities, zeros and NaN.
@Suite(.serialized) struct ElementwiseKernelTests {
  static let functions: [(String, @Sendable (UnsafeMutableBufferPointer<Float>) -> Void)] = [
    ("exp", FastMath.exp), ("quickGELU", FastMath.quickGELU), ("geluTanh", FastMath.geluTanh),
  ]

  private func inputs(_ count: Int) -> [Float] {
    var values = randomValues(count, seed: UInt64(count)).enumerated().map { index, value in
      value * [1, 10, 60, 100][index % 4]
    }
    let special: [Float] = [0, -0, .infinity, -.infinity, .nan, 88.3, -87.3, 89, -88, 1e-30, -1e-30, 20, -20]
    for (index, value) in special.enumerated() where index < count { values[index] = value }
    return values
  }

  private func run(_ function: (UnsafeMutableBufferPointer<Float>) -> Void, _ x: [Float], width: Int) -> [UInt32] {
    #expect(FastMath.force(kernelWidth: width))
    defer { FastMath.force(kernelWidth: nil) }
    var y = x
    y.withUnsafeMutableBufferPointer { function($0) }
    return y.map(\.bitPattern)
  }

  @Test(arguments: [1, 7, 8, 15, 16, 17, 33, 3072, 3079])
  func everyWidthGivesTheSIMD8Bits(count: Int) {
    let x = inputs(count)
    let widths: [Int] = [8, 16].filter { width in FastMath.force(kernelWidth: width) }
    FastMath.force(kernelWidth: nil)
    for (name, function) in Self.functions {
      let expected = run(function, x, width: 0)
      for width in widths {
        let got = run(function, x, width: width)
        let differing = zip(got, expected).filter { $0 != $1 }.count
        #expect(differing == 0, "\(name) at width \(width): \(differing) of \(count) values differ")
      }
    }
  }

  @Test func thisMachineUsesItsWidestKernel() {
    // The CI machines are AVX2 x86-64: the kernels must be in use there, never left forced off.
    #expect(FastMath.kernelWidth >= 8)
  }
}
