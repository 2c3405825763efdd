/// The arithmetic a model's linear layers run in. LayerNorm, softmax,
/// attention and activations stay fp32 in every precision.
public enum Precision: String, Sendable, CaseIterable, CustomStringConvertible {
  /// 32-bit floats: the reference every other precision is checked against.
  case fp32
  /// Weights quantised per output channel at load, activations per token at
  /// run time, int32 accumulation (`QuantizedLinear`).
  case int8
  /// Weights converted to bfloat16 at load, activations per call, fp32 sums
  /// (`BFloat16Linear`).
  case bf16

  public var description: String { rawValue }
}
