import Core

/// Strict access to a parsed TOML table: unknown keys are errors that name
/// the key, its line and the closest valid key; each getter names the key
/// and line when the type is wrong.
extension TOMLTable {
  /// Parses `text` read from `file`; a syntax error becomes `file:line: message`.
  public static func parse(_ text: String, file: String) throws(ConfigError) -> TOMLTable {
    do {
      return try parse(text)
    } catch {
      throw ConfigError(file: file, line: error.line, error.message)
    }
  }

  /// Throws for the first key not in `allowed`, suggesting the nearest one.
  public func requireKnownKeys(_ allowed: [String], file: String) throws(ConfigError) {
    for entry in entries where !allowed.contains(entry.key) {
      var message = "unknown key \(quoted(entry.key))"
      if let nearest = Self.nearest(entry.key, in: allowed) { message += " (did you mean '\(nearest)'?)" }
      message += "; valid keys: \(allowed.joined(separator: ", "))"
      throw ConfigError(file: file, line: entry.line, message)
    }
  }

  public func string(_ key: String, file: String) throws(ConfigError) -> String? {
    guard let entry = self[key] else { return nil }
    guard case .string(let value) = entry.value else { throw mistyped(entry, "a string", file) }
    return value
  }

  public func number(_ key: String, file: String) throws(ConfigError) -> Double? {
    guard let entry = self[key] else { return nil }
    switch entry.value {
    case .integer(let value): return Double(value)
    case .float(let value): return value
    default: throw mistyped(entry, "a number", file)
    }
  }

  /// An integer within `range` (a fraction, or a number out of range, names
  /// the key and its line instead of being truncated or trapping).
  /// `name`: how messages call the key (default: the key itself).
  public func integer(
    _ key: String, in range: ClosedRange<Int>, named name: String? = nil, file: String
  ) throws(ConfigError) -> Int? {
    guard let entry = self[key] else { return nil }
    guard case .integer(let value) = entry.value else { throw mistyped(entry, "a whole number", file) }
    guard range.contains(value) else {
      throw ConfigError(
        file: file, line: entry.line,
        "\(name ?? key) must be \(range.lowerBound)…\(range.upperBound), got \(value)")
    }
    return value
  }

  public func boolean(_ key: String, file: String) throws(ConfigError) -> Bool? {
    guard let entry = self[key] else { return nil }
    guard case .boolean(let value) = entry.value else { throw mistyped(entry, "true or false", file) }
    return value
  }

  /// A string or an array of strings, as an array.
  public func strings(_ key: String, file: String) throws(ConfigError) -> [String]? {
    guard let entry = self[key] else { return nil }
    switch entry.value {
    case .string(let value): return [value]
    case .array(let items):
      var strings: [String] = []
      for item in items {
        guard case .string(let value) = item else { throw mistyped(entry, "a string or an array of strings", file) }
        strings.append(value)
      }
      return strings
    default: throw mistyped(entry, "a string or an array of strings", file)
    }
  }

  private func mistyped(_ entry: Entry, _ expected: String, _ file: String) -> ConfigError {
    ConfigError(file: file, line: entry.line, "\(quoted(entry.key)) must be \(expected), not \(entry.value.typeName)")
  }

  /// The allowed key within edit distance 3 of `key`, if any.
  static func nearest(_ key: String, in allowed: [String]) -> String? {
    let scored = allowed.map { ($0, editDistance(key.lowercased(), $0)) }.filter { $0.1 <= 3 }
    return scored.min { $0.1 < $1.1 }?.0
  }

  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
      var row = [i] + [Int](repeating: 0, count: b.count)
      for j in 1...max(b.count, 1) where !b.isEmpty {
        row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      previous = row
    }
    return a.isEmpty ? b.count : previous[b.count]
  }
}
