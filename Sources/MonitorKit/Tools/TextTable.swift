/// Rows of text as aligned columns (two spaces apart), as the listing commands print them.
enum TextTable {
  static func lines(_ table: [[String]]) -> [String] {
    guard let header = table.first else { return [] }
    let widths = header.indices.map { column in table.map { $0[column].count }.max() ?? 0 }
    return table.map { row in
      zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
        .trimmingCharacters(in: .whitespaces)
    }
  }
}
