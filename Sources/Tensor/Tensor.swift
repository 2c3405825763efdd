/// Float storage with a shape (row-major). Weights and activations are held
/// as `Tensor`s; kernels work on their buffers directly.
public struct Tensor: Sendable, Equatable {
  public private(set) var shape: [Int]
  public var scalars: [Float]

  public init(shape: [Int], scalars: [Float]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
    precondition(
      shape.reduce(1, *) == scalars.count, "shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
    self.shape = shape
    self.scalars = scalars
  }

  public init(zeros shape: [Int]) {
    self.init(shape: shape, scalars: [Float](repeating: 0, count: shape.reduce(1, *)))
  }

  public var count: Int { scalars.count }

  /// Same scalars, another shape of equal size.
  public func reshaped(_ shape: [Int]) -> Tensor { Tensor(shape: shape, scalars: scalars) }

  /// Row `i` of a 2-D tensor.
  public func row(_ i: Int) -> ArraySlice<Float> {
    precondition(shape.count == 2 && i >= 0 && i < shape[0])
    return scalars[(i * shape[1])..<((i + 1) * shape[1])]
  }
}
