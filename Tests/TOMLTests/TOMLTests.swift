import Core
import TOML
import Testing

@Suite struct TOMLTests {
  @Test func parsesTheSubsetWithLines() throws {
    let text = """
      # comment
      name = "front" # trailing comment
      fps = 2
      ratio = 0.5
      big = 1_000
      on = true
      words = ["a", 'b\\c', "q\\"uote\\u00e9",
        "multi"]  # spans lines

      [mqtt]
      host = "localhost"

      [[cameras]]
      name = "a"
      [[cameras]]
      name = "b"
      """
    let table = try TOMLTable.parse(text)
    #expect(table["name"]?.value == .string("front") && table["name"]?.line == 2)
    #expect(
      table["fps"]?.value == .integer(2) && table["ratio"]?.value == .float(0.5)
        && table["big"]?.value == .integer(1000))
    #expect(table["on"]?.value == .boolean(true))
    #expect(table["words"]?.value == .array([.string("a"), .string("b\\c"), .string("q\"uoteé"), .string("multi")]))
    guard case .table(let mqtt)? = table["mqtt"]?.value, case .tables(let cameras)? = table["cameras"]?.value else {
      Issue.record("tables missing: \(table)")
      return
    }
    #expect(mqtt["host"]?.value == .string("localhost") && mqtt["host"]?.line == 11)
    #expect(cameras.count == 2 && cameras[1]["name"]?.value == .string("b") && cameras[1].line == 15)
  }

  @Test(arguments: [
    ("a = ", "line 1: expected a value"),
    ("a = b", "line 1: expected a value (strings need quotes)"),
    ("a = \"x", "line 1: unterminated string"),
    ("a = 1\na = 2", "line 2: key 'a' is already set on line 1"),
    ("a = {b = 1}", "line 1: inline tables are not supported; use a [table] header"),
    ("a.b = 1", "line 1: dotted keys are not supported; use a [table] header"),
    ("a = 1979-05-27", "line 1: dates and times are not supported"),
    ("a = 12abc", "line 1: unexpected 'a' after the value"),
    ("a = 1.5.2", "line 1: '1.5.2' is not a number (strings need quotes)"),
    ("a = [1, 2", "line 1: expected ',' or ']' in the array"),
    ("\n\n[t]\n[t]", "line 4: table 't' is already defined on line 3"),
    ("a = 1 2", "line 1: unexpected '2' after the value"),
    ("a = \"\\q\"", "line 1: unknown escape '\\q'"),
    ("[[a.b]]\nx = 1", "line 1: [[a.b]] must follow a [[a]] table it belongs to"),
    ("[a.b]", "line 1: dotted table names are only supported for arrays of tables: [[a.b]]"),
    ("[[a]]\nb = 1\n[[a.b]]", "line 3: key 'b' is already set on line 2"),
  ])
  func refusesWithTheLine(text: String, message: String) {
    #expect(throws: TOMLError.self) { try TOMLTable.parse(text) }
    do {
      _ = try TOMLTable.parse(text)
    } catch {
      #expect(error.description == message)
    }
  }

  /// `[[cameras.regions]]`: each nested table goes to the latest `[[cameras]]`.
  @Test func nestedArraysOfTablesBelongToTheLatestEntry() throws {
    let table = try TOMLTable.parse(
      "[[cam]]\nname = \"a\"\n[[cam.zone]]\nn = 1\n[[cam.zone]]\nn = 2\n[[cam]]\nname = \"b\"\n[[cam]]\n[[cam.zone]]\nn = 3\n"
    )
    guard case .tables(let cameras)? = table["cam"]?.value else {
      Issue.record("cam is not an array of tables")
      return
    }
    func zones(_ camera: TOMLTable) -> [Int] {
      guard case .tables(let zones)? = camera["zone"]?.value else { return [] }
      return zones.compactMap { zone in
        if case .integer(let n)? = zone["n"]?.value { return n }
        return nil
      }
    }
    #expect(cameras.map(zones) == [[1, 2], [], [3]])
    #expect(cameras[0]["zone"]?.line == 3)
  }

  @Test func unknownKeySuggestsTheClosest() throws {
    let table = try TOMLTable.parse("threshhold = 0.5\n")
    #expect(
      throws: ConfigError(
        file: "r.toml", line: 1, "unknown key 'threshhold' (did you mean 'threshold'?); valid keys: id, threshold")
    ) {
      try table.requireKnownKeys(["id", "threshold"], file: "r.toml")
    }
  }

  /// H2: 100,000 nested `[` overflowed the stack (of the daemon's rule watcher
  /// on hot reload, and of every restart); nesting is now bounded and named.
  @Test func h2DeepNestingIsAnErrorNotAStackOverflow() throws {
    let deep =
      "id = \"deep\"\ntext = " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    #expect {
      try TOMLTable.parse(deep)
    } throws: { error in
      (error as? TOMLError)?.description == "line 2: arrays nested more than \(Limits.tomlNesting) deep"
    }
    let allowed = String(repeating: "[", count: Limits.tomlNesting) + String(repeating: "]", count: Limits.tomlNesting)
    #expect(try TOMLTable.parse("a = \(allowed)")["a"] != nil)
  }

  /// L13: a 50 MB bare value was echoed whole into the error (a minute of
  /// output); quoted text is cut at 40 characters, its length named.
  @Test func l13LongTextInAnErrorIsCut() throws {
    let long = String(repeating: "1.", count: 500_000)
    #expect {
      try TOMLTable.parse("a = \(long)\n")
    } throws: { error in
      (error as? TOMLError)?.message
        == "'\(String(repeating: "1.", count: 20))…' (1000000 characters) is not a number (strings need quotes)"
    }
  }

  /// L13: many `[[cameras]]` tables: every key, table and lookup is kept
  /// (the table array used to be copied per key).
  @Test func l13ManyTablesKeepEveryKeyAndLine() throws {
    let count = 20_000
    let text = (0..<count).map { "[[cameras]]\nname = \"c\($0)\"\nurl = \"/v\($0).mp4\"\n" }.joined()
    let table = try TOMLTable.parse(text)
    guard case .tables(let cameras)? = table["cameras"]?.value else {
      Issue.record("no cameras")
      return
    }
    #expect(cameras.count == count)
    #expect(cameras.last?["name"]?.value == .string("c\(count - 1)") && cameras.last?["url"]?.line == 3 * count)
  }
}
