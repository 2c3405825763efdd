/// A strict reader for the TOML that monitor's config and rule files use:
/// comments, `key = value`, `[table]`, `[[array.of.tables]]`, basic and
/// literal strings, integers, floats, booleans and arrays. Every value keeps
/// its line so errors can say where. Inline tables, dates and dotted keys are
/// refused with a message rather than misread. Pure; no Foundation.
public enum TOMLValue: Sendable, Equatable {
  case string(String)
  case integer(Int)
  case float(Double)
  case boolean(Bool)
  case array([TOMLValue])
  case table(TOMLTable)
  case tables([TOMLTable])

  public var typeName: String {
    switch self {
    case .string: return "a string"
    case .integer: return "an integer"
    case .float: return "a decimal number"
    case .boolean: return "true or false"
    case .array: return "an array"
    case .table: return "a table"
    case .tables: return "an array of tables"
    }
  }
}

/// Keys in file order with the line each was set on.
public struct TOMLTable: Sendable, Equatable {
  public struct Entry: Sendable, Equatable {
    public var key: String
    public var value: TOMLValue
    public var line: Int
  }
  public private(set) var entries: [Entry] = []
  /// Position of each key in `entries`: lookups stay O(1) however many keys
  /// a file has (a linear search made big files quadratic).
  private var positions: [String: Int] = [:]
  /// Line of the `[header]` (0 for the root table).
  public var line: Int

  public init(line: Int = 0) { self.line = line }

  public subscript(key: String) -> Entry? { positions[key].map { entries[$0] } }

  mutating func set(_ key: String, _ value: TOMLValue, line: Int) {
    positions[key] = entries.count
    entries.append(Entry(key: key, value: value, line: line))
  }

  mutating func update(_ key: String, _ body: (inout TOMLValue) -> Void) {
    guard let index = positions[key] else { return }
    body(&entries[index].value)
  }
}

/// Text from a file as quoted in an error message: at most 40 characters, so
/// a 50 MB value neither floods the log nor takes a minute to print.
func quoted(_ text: some StringProtocol) -> String {
  text.count <= 40 ? "'\(text)'" : "'\(text.prefix(40))…' (\(text.count) characters)"
}

public struct TOMLError: Error, Sendable, Equatable, CustomStringConvertible {
  public var line: Int
  public var message: String
  public var description: String { "line \(line): \(message)" }
}

extension TOMLTable {
  /// Parses a whole document.
  public static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
    var parser = TOMLParser(text)
    return try parser.document()
  }
}
