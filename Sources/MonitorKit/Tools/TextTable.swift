import History

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

  /// A wall time (seconds since 1970) as a table cell: `2026-11-29 07:42:00` (UTC).
  static func wallTime(_ seconds: Double) -> String {
    String(StoredEvent.iso8601(seconds).prefix(19)).replacingOccurrences(of: "T", with: " ")
  }
}
