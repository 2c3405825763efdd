import Config
import Core
import Foundation
import History

/// `monitor events`: the episodes in the event history, filtered, as a table
/// or as JSON lines (the objects `GET /api/events` lists).
public struct EventListing: Sendable {
  public var camera: String?
  public var rule: String?
  /// Wall-clock bounds as an operator writes them (`WallTime.parse`).
  public var since: String?
  public var until: String?
  public var limit = 50
  public var json = false

  public init() {}

  /// The lines to print, newest episode first; throws one line naming what is wrong.
  public func lines(configuration: Configuration, now: Double = Date().timeIntervalSince1970) throws -> [String] {
    let query = EventQuery(
      camera: camera, rule: rule, since: try since.map { try WallTime.parse($0, now: now, option: "--since") },
      until: try until.map { try WallTime.parse($0, now: now, option: "--until") }, limit: limit)
    let history = try EventHistory(directory: configuration.historyDirectory, readOnly: true)
    let events = try history.events(query)
    if json { return events.map { Self.jsonLine($0.json) } }
    return Self.table(events, directory: history.directory)
  }

  static func jsonLine(_ object: [String: Any]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
  }

  static func table(_ events: [StoredEvent], directory: String) -> [String] {
    guard !events.isEmpty else { return ["no episodes match"] }
    func time(_ seconds: Double?) -> String {
      guard let seconds else { return "open" }
      return String(StoredEvent.iso8601(seconds).prefix(19)).replacingOccurrences(of: "T", with: " ")
    }
    let rows =
      [["STARTED (UTC)", "ENDED", "CAMERA", "RULE", "TOP", "SNAPSHOT", "ID"]]
      + events.map { event in
        [
          time(event.startedAt), time(event.endedAt) + (event.endReason.map { " (\($0))" } ?? ""), event.camera,
          event.rule, String(format: "%.2f", event.topScore),
          event.snapshotPath.map { directory + "/" + $0 } ?? "-", event.id,
        ]
      }
    let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
      zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
        .trimmingCharacters(in: .whitespaces)
    }
  }
}

extension Configuration {
  /// Where the event history lives (`state_dir/history`).
  public var historyDirectory: String { stateDirectory + "/history" }
}

/// Wall-clock times as operators write them on a command line or in a URL.
public enum WallTime {
  /// `2026-11-28`, `2026-11-28T06:00:00Z` (or `+01:00`), seconds since 1970,
  /// or an age: `90s`, `30m`, `12h`, `7d` ago. Throws one line naming `option`.
  public static func parse(_ text: String, now: Double, option: String) throws(ConfigError) -> Double {
    if let unit = text.last, let scale = ["s": 1.0, "m": 60, "h": 3_600, "d": 86_400][String(unit)],
      let amount = Double(text.dropLast()), amount >= 0, amount <= 1e6
    {
      return now - amount * scale
    }
    if text.allSatisfy(\.isNumber), let seconds = Double(text), seconds < 1e11 { return seconds }
    let full = text.count == 10 ? text + "T00:00:00Z" : text
    if let date = try? Date(full, strategy: .iso8601) { return date.timeIntervalSince1970 }
    if let date = try? Date(full, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
      return date.timeIntervalSince1970
    }
    throw ConfigError(
      file: option, line: 0,
      "'\(text)' is not a time: use 2026-11-28, 2026-11-28T06:00:00Z, seconds since 1970, or an age like 30m, 12h, 7d")
  }
}
