/// A linear layer in the precision the model was loaded at: the one type
/// the towers hold, so a precision is chosen once, at load.
public struct Linear: Sendable {
  private enum Kernel: Sendable {
    case fp32(PackedLinear)
    case int8(QuantizedLinear)
    case bf16(BFloat16Linear)
  }

  private let kernel: Kernel
  public let precision: Precision

  /// `weight` is (out, in), PyTorch's `nn.Linear` layout; it is converted
  /// (packed or quantised) here and not kept. `packed: false` keeps an fp32
  /// weight in the plain layout for `cblas_sgemm` (the towers' final
  /// projections, a few rows: the figures and golden outputs were made so).
  public init(weight: [Float], outFeatures: Int, inFeatures: Int, precision: Precision, packed: Bool = true) {
    self.precision = precision
    switch precision {
    case .fp32:
      kernel = .fp32(
        PackedLinear(
          weight: weight, outFeatures: outFeatures, inFeatures: inFeatures,
          pack: packed && PackedLinear.packedSupported))
    case .int8: kernel = .int8(QuantizedLinear(weight: weight, outFeatures: outFeatures, inFeatures: inFeatures))
    case .bf16: kernel = .bf16(BFloat16Linear(weight: weight, outFeatures: outFeatures, inFeatures: inFeatures))
    }
  }

  /// y (rows, out) = x (rows, in) · Wᵀ (+ bias) (+ y when `accumulate`).
  public func apply(
    _ x: UnsafePointer<Float>, rows: Int, bias: UnsafePointer<Float>?, accumulate: Bool = false,
    into y: UnsafeMutablePointer<Float>
  ) {
    switch kernel {
    case .fp32(let layer): layer.apply(x, rows: rows, bias: bias, accumulate: accumulate, into: y)
    case .int8(let layer): layer.apply(x, rows: rows, bias: bias, accumulate: accumulate, into: y)
    case .bf16(let layer): layer.apply(x, rows: rows, bias: bias, accumulate: accumulate, into: y)
    }
  }
}
