import Core

/// The recursive-descent parser behind `TOMLTable.parse`.
struct TOMLParser {
  private let scalars: [Unicode.Scalar]
  private var index = 0
  private var line = 1
  /// Arrays open around the current position (bounded: `Limits.tomlNesting`).
  private var depth = 0

  init(_ text: String) { scalars = Array(text.unicodeScalars) }

  private var current: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

  private func fail(_ message: String) -> TOMLError { TOMLError(line: line, message: message) }

  private mutating func advance() {
    if current == "\n" { line += 1 }
    index += 1
  }

  private mutating func skipSpaces() {
    while let c = current, c == " " || c == "\t" { advance() }
  }

  /// Spaces, then an optional comment, then end of line or input.
  private mutating func endOfLine() throws(TOMLError) {
    skipSpaces()
    if current == "#" { while let c = current, c != "\n" { advance() } }
    if current == "\r" { advance() }
    guard current == nil || current == "\n" else { throw fail("unexpected '\(current!)' after the value") }
    if current == "\n" { advance() }
  }

  /// The document. Tables under construction live in `tables` and `lists`
  /// (uniquely referenced, so each key is added in place) and replace their
  /// placeholders in `root` at the end: adding to a table stored inside an
  /// enum payload copied the whole list of tables per key, which made a file
  /// with thousands of `[[cameras]]` quadratic.
  mutating func document() throws(TOMLError) -> TOMLTable {
    var root = TOMLTable()
    var tables: [String: TOMLTable] = [:]
    var lists: [String: [TOMLTable]] = [:]
    // `[[parent.child]]`: the tables of `child` in entry `index` of the array `parent`.
    var nested: [NestedList: [TOMLTable]] = [:]
    // The table that `key = value` lines go into; nil = root.
    var target: Target?
    while current != nil {
      skipSpaces()
      guard let c = current else { break }
      if c == "\n" || c == "\r" || c == "#" {
        try endOfLine()
        continue
      }
      if c == "[" {
        let (name, child, isArray, headerLine) = try header()
        if let child {
          let list = try Self.nestedList(parent: name, child: child, in: lists, line: headerLine)
          if nested[list] == nil { lists[name]![list.index].set(child, .tables([]), line: headerLine) }
          nested[list, default: []].append(TOMLTable(line: headerLine))
          target = .nested(list)
          continue
        }
        if let existing = root[name], !(isArray && lists[name] != nil) {
          let what = isArray ? "\(quoted(name))" : "table \(quoted(name))"
          throw TOMLError(line: headerLine, message: "\(what) is already defined on line \(existing.line)")
        }
        if isArray {
          if lists[name] == nil { root.set(name, .tables([]), line: headerLine) }
          lists[name, default: []].append(TOMLTable(line: headerLine))
        } else {
          root.set(name, .table(TOMLTable(line: headerLine)), line: headerLine)
          tables[name] = TOMLTable(line: headerLine)
        }
        target = isArray ? .list(name) : .table(name)
        continue
      }
      let keyLine = line
      let name = try key()
      skipSpaces()
      guard current == "=" else { throw fail("expected '=' after the key \(quoted(name))") }
      advance()
      skipSpaces()
      let parsed = try value()
      try endOfLine()
      switch target {
      case nil: try Self.add(name, parsed, line: keyLine, to: &root)
      case .table(let table)?: try Self.add(name, parsed, line: keyLine, to: &tables[table]!)
      case .list(let list)?: try Self.add(name, parsed, line: keyLine, to: &lists[list]![lists[list]!.count - 1])
      case .nested(let list)?: try Self.add(name, parsed, line: keyLine, to: &nested[list]![nested[list]!.count - 1])
      }
    }
    for (list, children) in nested { lists[list.parent]![list.index].update(list.child) { $0 = .tables(children) } }
    for (name, table) in tables { root.update(name) { $0 = .table(table) } }
    for (name, list) in lists { root.update(name) { $0 = .tables(list) } }
    return root
  }

  private enum Target {
    case table(String)
    case list(String)
    case nested(NestedList)
  }

  private struct NestedList: Hashable {
    var parent: String
    var index: Int
    var child: String
  }

  /// Where `[[parent.child]]` adds a table: to `child` of the latest `[[parent]]`.
  private static func nestedList(
    parent: String, child: String, in lists: [String: [TOMLTable]], line: Int
  ) throws(TOMLError) -> NestedList {
    guard let entries = lists[parent], let last = entries.last else {
      throw TOMLError(line: line, message: "[[\(parent).\(child)]] must follow a [[\(parent)]] table it belongs to")
    }
    // The placeholder a previous `[[parent.child]]` of this entry set is an array of tables; anything else clashes.
    if let existing = last[child], existing.value.typeName != TOMLValue.tables([]).typeName {
      throw TOMLError(line: line, message: "key \(quoted(child)) is already set on line \(existing.line)")
    }
    return NestedList(parent: parent, index: entries.count - 1, child: child)
  }

  /// `[name]`, `[[name]]` or `[[name.child]]` (one level of nesting, arrays
  /// of tables only: what `[[cameras.regions]]` needs) and the end of its line.
  private mutating func header() throws(TOMLError) -> (name: String, child: String?, isArray: Bool, line: Int) {
    let headerLine = line
    advance()
    let isArray = current == "["
    if isArray { advance() }
    skipSpaces()
    let name = try key(dotFollows: true)
    var child: String?
    if current == "." {
      guard isArray else { throw fail("dotted table names are only supported for arrays of tables: [[a.b]]") }
      advance()
      child = try key()
    }
    skipSpaces()
    guard current == "]" else { throw fail("expected ']' to close the table header") }
    advance()
    if isArray {
      guard current == "]" else { throw fail("expected ']]' to close the array-of-tables header") }
      advance()
    }
    try endOfLine()
    return (name, child, isArray, headerLine)
  }

  private static func add(_ name: String, _ value: TOMLValue, line: Int, to table: inout TOMLTable) throws(TOMLError) {
    if let existing = table[name] {
      throw TOMLError(line: line, message: "key \(quoted(name)) is already set on line \(existing.line)")
    }
    table.set(name, value, line: line)
  }

  /// A bare or quoted key; `dotFollows`: a '.' may follow (a nested header's parent).
  private mutating func key(dotFollows: Bool = false) throws(TOMLError) -> String {
    if current == "\"" { return try basicString() }
    if current == "'" { return try literalString() }
    var key = String.UnicodeScalarView()
    while let c = current, c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-" {
      guard c.isASCII else { break }
      key.append(c)
      advance()
    }
    if current == "." && !dotFollows { throw fail("dotted keys are not supported; use a [table] header") }
    guard !key.isEmpty else {
      throw fail(current.map { "unexpected '\($0)' where a key should start" } ?? "expected a key")
    }
    return String(key)
  }

  private mutating func value() throws(TOMLError) -> TOMLValue {
    guard let c = current else { throw fail("expected a value") }
    switch c {
    case "\"": return .string(try basicString())
    case "'": return .string(try literalString())
    case "[": return try array()
    case "{": throw fail("inline tables are not supported; use a [table] header")
    case "t", "f": return try boolean()
    default: return try number()
    }
  }

  private mutating func boolean() throws(TOMLError) -> TOMLValue {
    for (word, value) in [("true", true), ("false", false)] where matches(word) {
      for _ in word.unicodeScalars { advance() }
      return .boolean(value)
    }
    throw fail("expected a value (strings need quotes)")
  }

  private func matches(_ word: String) -> Bool {
    var i = index
    for s in word.unicodeScalars {
      guard i < scalars.count, scalars[i] == s else { return false }
      i += 1
    }
    return i == scalars.count || !(scalars[i].properties.isAlphabetic || ("0"..."9").contains(scalars[i]))
  }

  private mutating func number() throws(TOMLError) -> TOMLValue {
    var text = ""
    while let c = current,
      c == "+" || c == "-" || c == "." || c == "_" || c == "e" || c == "E" || ("0"..."9").contains(c)
    {
      if c != "_" { text.unicodeScalars.append(c) }
      advance()
    }
    if text.isEmpty { throw fail("expected a value (strings need quotes)") }
    if !text.contains(".") && !text.contains("e") && !text.contains("E"), let integer = Int(text) {
      return .integer(integer)
    }
    if let number = Double(text), number.isFinite, current.map({ !$0.properties.isAlphabetic && $0 != ":" }) ?? true {
      return .float(number)
    }
    if text.dropFirst().contains("-") || current == ":" { throw fail("dates and times are not supported") }
    throw fail("\(quoted(text)) is not a number (strings need quotes)")
  }

  private mutating func array() throws(TOMLError) -> TOMLValue {
    // Recursion depth is bounded so a hostile file cannot overflow the stack.
    guard depth < Limits.tomlNesting else {
      throw fail("arrays nested more than \(Limits.tomlNesting) deep")
    }
    depth += 1
    defer { depth -= 1 }
    advance()  // [
    var items: [TOMLValue] = []
    while true {
      skipBlank()
      if current == "]" {
        advance()
        return .array(items)
      }
      items.append(try value())
      skipBlank()
      if current == "," {
        advance()
      } else if current != "]" {
        throw fail("expected ',' or ']' in the array")
      }
    }
  }

  /// Whitespace, newlines and comments inside arrays.
  private mutating func skipBlank() {
    while let c = current {
      if c == " " || c == "\t" || c == "\n" || c == "\r" {
        advance()
      } else if c == "#" {
        while let d = current, d != "\n" { advance() }
      } else {
        break
      }
    }
  }

  private mutating func literalString() throws(TOMLError) -> String {
    advance()
    var out = String.UnicodeScalarView()
    while let c = current, c != "'" {
      guard c != "\n" else { throw fail("unterminated string") }
      out.append(c)
      advance()
    }
    guard current == "'" else { throw fail("unterminated string") }
    advance()
    return String(out)
  }

  private mutating func basicString() throws(TOMLError) -> String {
    advance()
    var out = String.UnicodeScalarView()
    while let c = current, c != "\"" {
      guard c != "\n" else { throw fail("unterminated string") }
      if c == "\\" {
        advance()
        guard let e = current else { throw fail("unterminated string") }
        switch e {
        case "n": out.append("\n")
        case "t": out.append("\t")
        case "r": out.append("\r")
        case "\"": out.append("\"")
        case "\\": out.append("\\")
        case "u", "U":
          let digits = e == "u" ? 4 : 8
          var hex = ""
          for _ in 0..<digits {
            advance()
            guard let h = current, h.properties.isASCIIHexDigit else { throw fail("bad \\\(e) escape") }
            hex.unicodeScalars.append(h)
          }
          guard let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else {
            throw fail("bad \\\(e) escape")
          }
          out.append(scalar)
        default: throw fail("unknown escape '\\\(e)'")
        }
        advance()
        continue
      }
      out.append(c)
      advance()
    }
    guard current == "\"" else { throw fail("unterminated string") }
    advance()
    return String(out)
  }
}
