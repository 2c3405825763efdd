import Config
import Foundation
import History

/// `monitor memory`: the memory's size per camera, and purging part of it.
public struct MemoryTool: Sendable {
  public var camera: String?
  /// Wall-clock bounds as an operator writes them (`WallTime.parse`).
  public var since: String?
  public var until: String?

  public init() {}

  /// One line per camera: entries, size, hours covered, bytes per camera-hour, oldest entry.
  public func usage(configuration: Configuration) throws -> [String] {
    let history = try EventHistory(directory: configuration.historyDirectory, readOnly: true)
    let rows = try history.memoryUsage()
    guard !rows.isEmpty else { return ["the memory is empty (is [memory] on, and has the daemon run?)"] }
    let table =
      [["CAMERA", "ENTRIES", "MB", "HOURS", "KB/HOUR", "OLDEST (UTC)"]]
      + rows.map { row in
        let hours = row.seconds / 3_600
        return [
          row.camera, String(row.entries), String(format: "%.1f", Double(row.bytes) / 1_048_576),
          String(format: "%.1f", hours), hours > 0 ? String(format: "%.0f", Double(row.bytes) / 1_024 / hours) : "-",
          row.oldest.map(TextTable.wallTime) ?? "-",
        ]
      }
    return TextTable.lines(table)
  }

  /// Deletes what `camera`, `since` and `until` cover; one line saying how much.
  public func purge(configuration: Configuration, now: Double = Date().timeIntervalSince1970) throws -> String {
    let query = MemoryQuery(
      camera: camera, since: try since.map { try WallTime.parse($0, now: now, option: "--since") },
      until: try until.map { try WallTime.parse($0, now: now, option: "--until") })
    let history = try EventHistory(directory: configuration.historyDirectory)
    let removed = try history.purgeMemory(query)
    return "purged \(removed) memory entr\(removed == 1 ? "y" : "ies")"
  }
}
