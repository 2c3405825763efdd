/// A problem in a file an operator wrote (configuration, rule, example,
/// events file), printed as one line: `file:line: what to fix` (line 0: the
/// file as a whole).
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var message: String

  public init(file: String, line: Int, _ message: String) {
    self.file = file
    self.line = line
    self.message = message
  }

  public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}
