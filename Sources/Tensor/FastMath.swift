import CKernels

#if canImport(Glibc)
  import Glibc
#endif

/// Vectorised elementwise functions. Swift never vectorises scalar `exp`
/// calls, and a Mamba step needs d_inner × d_state of them, so `exp` is
/// computed eight lanes at a time (Cephes-style range reduction and a degree-6
/// polynomial; max relative error ≈ 2e-7 on [-87, 88]). `Reference` holds the
/// libm versions the tests compare against. The whole-buffer `exp`,
/// `quickGELU` and `geluTanh` run in `CKernels/elementwise.c` where the CPU
/// has AVX2 or AVX-512 (the same operations, the same bits, 2–4× the lanes:
/// this code is built for baseline x86-64, where SIMD8 is two SSE halves).
public enum FastMath {
  /// Lanes of the C kernels in use: 16, 8, or 0 (this file's SIMD8).
  public static var kernelWidth: Int { Int(ckernels_elementwise_width()) }

  /// Testing: run the C kernels at `width` lanes (0: SIMD8 here; nil: detect). False when this CPU cannot.
  @discardableResult
  public static func force(kernelWidth width: Int?) -> Bool {
    ckernels_elementwise_force_width(Int32(width ?? -1)) != 0
  }

  @inlinable @inline(__always)
  public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Masked selects and the magic-number rounding keep every step a vector
    // instruction (`clamped`, `rounded` and even `pointwiseMin` end up as calls).
    let low = SIMD8<Float>(repeating: -87.3)
    let high = SIMD8<Float>(repeating: 88.3)
    let x = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
    // n = round(x / ln2) via 1.5·2²³, whose low mantissa bits then hold n.
    let magic = SIMD8<Float>(repeating: 12_582_912)
    let shifted = x * 1.442_695_04 + magic
    let n = shifted - magic
    // r = x − n·ln2 in two parts (Cody–Waite), |r| ≤ ln2/2
    var r = x - n * 0.693_359_375
    r = r + n * 2.121_944_4e-4
    // e^r ≈ 1 + r + r²·P(r)
    var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_6e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_1e-1
    let er = p * (r * r) + r + 1
    // 2ⁿ from the exponent bits: n sits in the low bits of `shifted`.
    let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let scale = unsafeBitCast((integer &+ 127) &<< 23, to: SIMD8<Float>.self)
    return er * scale
  }

  /// x ← exp(x) in place.
  public static func exp(_ x: UnsafeMutableBufferPointer<Float>) {
    if kernelWidth > 0, let base = x.baseAddress { return ckernels_exp(base, x.count) }
    apply(x) { exp($0) }
  }

  /// x ← x·σ(x) (SiLU, a.k.a. swish) in place.
  public static func silu(_ x: UnsafeMutableBufferPointer<Float>) {
    apply(x) { $0 / (1 + exp(-$0)) }
  }

  /// x ← x·σ(1.702·x) in place (OpenAI CLIP's quick GELU).
  public static func quickGELU(_ x: UnsafeMutableBufferPointer<Float>) {
    if kernelWidth > 0, let base = x.baseAddress { return ckernels_quick_gelu(base, x.count) }
    apply(x) { $0 / (1 + exp(-1.702 * $0)) }
  }

  /// x ← 0.5·x·(1 + erf(x/√2)) in place (exact GELU, `torch.nn.GELU()`).
  public static func gelu(_ x: UnsafeMutableBufferPointer<Float>) {
    apply(x) { 0.5 * $0 * (1 + erf($0 * 0.707_106_78)) }
  }

  /// x ← 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) in place (`gelu_pytorch_tanh`,
  /// SigLIP's), computed as x·σ(2u) since 0.5(1 + tanh u) = σ(2u).
  public static func geluTanh(_ x: UnsafeMutableBufferPointer<Float>) {
    if kernelWidth > 0, let base = x.baseAddress { return ckernels_gelu_tanh(base, x.count) }
    apply(x) { x in
      let twiceU = 1.595_769_1 * (x + 0.044_715 * x * x * x)
      return x / (1 + exp(-twiceU))
    }
  }

  /// erf by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7), eight lanes at a time.
  @inlinable @inline(__always)
  public static func erf(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let a = x.replacing(with: -x, where: x .< 0)
    let t = 1 / (1 + 0.327_591_1 * a)
    var p = SIMD8<Float>(repeating: 1.061_405_429)
    p = p * t - 1.453_152_027
    p = p * t + 1.421_413_741
    p = p * t - 0.284_496_736
    p = p * t + 0.254_829_592
    let y = 1 - p * t * exp(-a * a)
    return y.replacing(with: -y, where: x .< 0)
  }

  /// x ← log(1 + eˣ) in place, linear above 20 as PyTorch's `softplus`.
  public static func softplus(_ x: UnsafeMutableBufferPointer<Float>) {
    for i in x.indices where x[i] <= 20 { x[i] = log1pf(expf(x[i])) }
  }

  /// Applies `f` eight lanes at a time; the tail goes through a padded vector.
  @inline(__always)
  static func apply(_ x: UnsafeMutableBufferPointer<Float>, _ f: (SIMD8<Float>) -> SIMD8<Float>) {
    guard let base = x.baseAddress else { return }
    let full = x.count / 8 * 8
    var i = 0
    while i < full {
      let raw = UnsafeMutableRawPointer(base + i)
      raw.storeBytes(of: f(raw.loadUnaligned(as: SIMD8<Float>.self)), as: SIMD8<Float>.self)
      i += 8
    }
    if i < x.count {
      var tail = SIMD8<Float>(repeating: 0)
      for j in i..<x.count { tail[j - i] = x[j] }
      let out = f(tail)
      for j in i..<x.count { x[j] = out[j - i] }
    }
  }
}
