import Config
import Core
import Foundation
import HTTPAPI
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
  /// Reads the database directly; when that fails (under the shipped unit the
  /// state directory is private to the service) and `[http]` is on, asks the
  /// daemon's API instead, with the token file when there is one.
  public func lines(configuration: Configuration, now: Double = Date().timeIntervalSince1970) throws -> [String] {
    let query = EventQuery(
      camera: camera, rule: rule, since: try since.map { try WallTime.parse($0, now: now, option: "--since") },
      until: try until.map { try WallTime.parse($0, now: now, option: "--until") }, limit: limit)
    let rows: [Row]
    do {
      let history = try EventHistory(directory: configuration.historyDirectory, readOnly: true)
      rows = try history.events(query).map {
        Row(json: $0.json, snapshot: $0.snapshotPath.map { history.directory + "/" + $0 })
      }
    } catch let direct {
      guard configuration.http.enabled else { throw direct }
      do {
        rows = try APIClient(configuration.http).events(query)
      } catch {
        throw ListingError("\(direct); through the HTTP API: \(error)")
      }
    }
    if json { return rows.map { Self.jsonLine($0.json) } }
    return Self.table(rows)
  }

  /// An episode as `GET /api/events` lists it, and where its snapshot is (a file or a URL).
  struct Row {
    var json: [String: Any]
    var snapshot: String?
  }

  static func jsonLine(_ object: [String: Any]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
  }

  static func table(_ rows: [Row]) -> [String] {
    guard !rows.isEmpty else { return ["no episodes match"] }
    func text(_ key: String, _ row: Row) -> String { row.json[key] as? String ?? "-" }
    func time(_ key: String, _ row: Row) -> String {
      guard let iso = row.json[key] as? String else { return "open" }
      return String(iso.prefix(19)).replacingOccurrences(of: "T", with: " ")
    }
    let table =
      [["STARTED (UTC)", "ENDED", "CAMERA", "RULE", "TOP", "SNAPSHOT", "ID"]]
      + rows.map { row in
        [
          time("started_at", row),
          time("ended_at", row) + ((row.json["end_reason"] as? String).map { " (\($0))" } ?? ""),
          text("camera", row), text("rule", row), String(format: "%.2f", row.json["top_score"] as? Double ?? 0),
          row.snapshot ?? "-", text("id", row),
        ]
      }
    return TextTable.lines(table)
  }
}

struct ListingError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

extension Configuration {
  /// Where the event history lives (`state_dir/history`).
  public var historyDirectory: String { stateDirectory + "/history" }
}
