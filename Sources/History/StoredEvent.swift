import Foundation
import GRDB

/// One episode as the history keeps it: the `new` event's fields, brought up
/// to date by its updates and its `end`, with when it happened on the wall
/// clock (stream times restart with every file and camera reconnect).
public struct StoredEvent: Sendable, Equatable {
  public enum State: String, Sendable { case open, ended }

  public var id: String
  public var camera: String
  public var rule: String
  public var label: String
  public var model: String
  public var state: State
  /// Wall clock (seconds since 1970) when the episode's first event was recorded, and its end.
  public var startedAt: Double
  public var endedAt: Double?
  /// Stream times, as in the event payload.
  public var startTime: Double
  public var endTime: Double?
  public var score: Double
  public var topScore: Double
  public var threshold: Double
  public var beforeTime: Double?
  /// Why the end was not the camera's own (`restart`), as in the payload.
  public var endReason: String?
  /// The best frame's JPEG, relative to the history's directory; nil without one.
  public var snapshotPath: String?
  public var snapshotBytes: Int
  /// Schema 2: the episode's clip (a file name in the daemon's clips
  /// directory, `GET /api/clips/<name>`), and what an operator said of it.
  public var clipPath: String?
  public var feedback: String?
  /// Schema 3: the camera region the episode matched in (rules that watch regions); nil: the whole frame.
  public var region: String?

  /// The object `monitor events --json` prints and `GET /api/events` lists
  /// (README.md, "Event history"): wall times in ISO 8601 UTC, nulls kept.
  public var json: [String: Any] {
    func value(_ x: Any?) -> Any { x ?? NSNull() }
    return [
      "id": id, "camera": camera, "rule": rule, "label": label, "model": model, "state": state.rawValue,
      "started_at": Self.iso8601(startedAt), "ended_at": value(endedAt.map(Self.iso8601)),
      "start_time": startTime, "end_time": value(endTime), "score": score, "top_score": topScore,
      "threshold": threshold, "before_time": value(beforeTime), "end_reason": value(endReason),
      "has_snapshot": snapshotPath != nil, "clip": value(clipPath), "feedback": value(feedback),
      "region": value(region),
    ]
  }

  /// `2026-11-28T06:20:11.250Z`.
  public static func iso8601(_ seconds: Double) -> String {
    Date(timeIntervalSince1970: seconds).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
  }
}

extension StoredEvent: TableRecord {
  public static let databaseTableName = "episode"
}

extension StoredEvent: FetchableRecord {
  public init(row: Row) {
    id = row["id"]
    camera = row["camera"]
    rule = row["rule"]
    label = row["label"]
    model = row["model"]
    state = State(rawValue: row["state"]) ?? .open
    startedAt = row["started_at"]
    endedAt = row["ended_at"]
    startTime = row["start_time"]
    endTime = row["end_time"]
    score = row["score"]
    topScore = row["top_score"]
    threshold = row["threshold"]
    beforeTime = row["before_time"]
    endReason = row["end_reason"]
    snapshotPath = row["snapshot_path"]
    snapshotBytes = row["snapshot_bytes"]
    clipPath = row.hasColumn("clip_path") ? row["clip_path"] : nil
    feedback = row.hasColumn("feedback") ? row["feedback"] : nil
    region = row.hasColumn("region") ? row["region"] : nil
  }
}
