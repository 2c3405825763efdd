import Tensor
import Testing

/// Every fast kernel against its naive reference, at sizes that are not SIMD multiples.
@Suite struct KernelTests {
  private func random(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in rng.nextFloat(in: -scale...scale) }
  }

  private func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).map { abs($0 - $1) / max(abs($1), 1e-30) }.max() ?? 0
  }

  @Test(arguments: [1, 7, 8, 13, 2048 + 16])
  func expMatchesLibm(count: Int) {
    var x = random(count, seed: 1, scale: 80)
    let expected = Reference.exp(x)
    x.withUnsafeMutableBufferPointer { FastMath.exp($0) }
    #expect(maxRelativeError(x, expected) < 5e-7)
  }

  @Test func expAtTheEdges() {
    var x: [Float] = [0, -0.0, 1, -1, 88, -87, 1e-8, -1e-8, 0.693_147_2, -100, 100]
    let expected = Reference.exp(x.map { min(max($0, -87.3), 88.3) })
    x.withUnsafeMutableBufferPointer { FastMath.exp($0) }
    #expect(maxRelativeError(x, expected) < 5e-7)
    #expect(x.allSatisfy { $0.isFinite })
  }

  @Test(arguments: [5, 37, 1024 + 3])
  func siluAndSoftplusMatchReference(count: Int) {
    let input = random(count, seed: 2, scale: 30)
    var silu = input
    silu.withUnsafeMutableBufferPointer { FastMath.silu($0) }
    let expectedSilu = Reference.silu(input)
    #expect(zip(silu, expectedSilu).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
    var softplus = input
    softplus.withUnsafeMutableBufferPointer { FastMath.softplus($0) }
    let expectedSoftplus = Reference.softplus(input)
    #expect(zip(softplus, expectedSoftplus).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
  }

  @Test(arguments: [(1, 37, 53, true), (1, 512, 1024, false), (7, 37, 53, false), (13, 100, 9, true)])
  func linearMatchesReference(rows: Int, inFeatures: Int, outFeatures: Int, withBias: Bool) {
    let x = random(rows * inFeatures, seed: 3)
    let w = random(outFeatures * inFeatures, seed: 4)
    let b = withBias ? random(outFeatures, seed: 5) : nil
    var y = [Float](repeating: .nan, count: rows * outFeatures)
    x.withUnsafeBufferPointer { x in
      w.withUnsafeBufferPointer { w in
        if let b {
          b.withUnsafeBufferPointer { b in
            BLAS.linear(
              x.baseAddress!, rows: rows, inFeatures: inFeatures, weight: w.baseAddress!, outFeatures: outFeatures,
              bias: b.baseAddress!, into: &y)
          }
        } else {
          BLAS.linear(
            x.baseAddress!, rows: rows, inFeatures: inFeatures, weight: w.baseAddress!, outFeatures: outFeatures,
            bias: nil, into: &y)
        }
      }
    }
    let expected = Reference.linear(x, rows: rows, weight: w, outFeatures: outFeatures, bias: b)
    #expect(zip(y, expected).allSatisfy { abs($0 - $1) <= 1e-4 })
  }

  @Test(arguments: [(1, 24), (3, 37), (2, 768)])
  func layerNormMatchesReference(rows: Int, columns: Int) {
    let x = random(rows * columns, seed: 6, scale: 5).map { $0 + 3 }
    let weight = random(columns, seed: 7)
    let bias = random(columns, seed: 8)
    var y = [Float](repeating: 0, count: x.count)
    x.withUnsafeBufferPointer { x in
      LayerNorm.apply(x.baseAddress!, rows: rows, columns: columns, weight: weight, bias: bias, eps: 1e-5, into: &y)
    }
    let expected = Reference.layerNorm(x, columns: columns, weight: weight, bias: bias, eps: 1e-5)
    #expect(zip(y, expected).allSatisfy { abs($0 - $1) <= 1e-5 })
  }

  @Test func dotAndSumUseEveryElement() {
    let a = random(1003, seed: 9)
    let b = random(1003, seed: 10)
    let expectedDot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    #expect(abs(Double(Reductions.dot(a, b, count: a.count)) - expectedDot) < 1e-3)
    #expect(abs(Double(Reductions.sum(a, count: a.count)) - a.reduce(0.0) { $0 + Double($1) }) < 1e-3)
  }
}

@Suite struct ActivationTests {
  private func random(_ count: Int, seed: UInt64, scale: Float) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in rng.nextFloat(in: -scale...scale) }
  }

  @Test(arguments: [3, 64, 3072 + 5])
  func geluQuickGELUAndGELUTanhMatchReference(count: Int) {
    let input = random(count, seed: 11, scale: 8)
    var gelu = input
    gelu.withUnsafeMutableBufferPointer { FastMath.gelu($0) }
    #expect(zip(gelu, Reference.gelu(input)).allSatisfy { abs($0 - $1) <= 2e-6 * max(1, abs($1)) })
    var quick = input
    quick.withUnsafeMutableBufferPointer { FastMath.quickGELU($0) }
    #expect(zip(quick, Reference.quickGELU(input)).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
    var tanhApproximation = input
    tanhApproximation.withUnsafeMutableBufferPointer { FastMath.geluTanh($0) }
    #expect(
      zip(tanhApproximation, Reference.geluTanh(input)).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
  }

  @Test(arguments: [(1, 1), (3, 50), (5, 77)])
  func softmaxMatchesReference(rows: Int, columns: Int) {
    var x = random(rows * columns, seed: 12, scale: 20)
    let expected = Reference.softmax(x, columns: columns)
    x.withUnsafeMutableBufferPointer { Softmax.rows($0.baseAddress!, rows: rows, columns: columns) }
    #expect(zip(x, expected).allSatisfy { abs($0 - $1) <= 1e-6 })
  }
}
