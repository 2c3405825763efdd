/// A model file that cannot be used, with the file and, where it applies, the
/// tensor named, in one line an operator can act on.
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
  public var file: String
  public var tensor: String?
  public var problem: String

  public init(file: String, tensor: String? = nil, _ problem: String) {
    self.file = file
    self.tensor = tensor
    self.problem = problem
  }

  public var description: String {
    if let tensor { return "\(file): tensor '\(tensor)': \(problem)" }
    return "\(file): \(problem)"
  }
}
