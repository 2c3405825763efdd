import Core
import Foundation

/// One stderr line per event (journald under systemd).
public final class LogSink: AlertSink {
  private let log: @Sendable (String) -> Void
  public init(log: @escaping @Sendable (String) -> Void) { self.log = log }
  public func deliver(_ event: AlertEvent) { log(event.summary) }
}

/// Appends one JSON object per event to a file (`monitor run --events-file`):
/// for scripts, tests, and checking a setup before MQTT is configured.
public final class JSONLinesSink: AlertSink, @unchecked Sendable {
  private let handle: FileHandle
  private let lock = NSLock()

  public init(path: String) throws {
    if !FileManager.default.fileExists(atPath: path) {
      guard FileManager.default.createFile(atPath: path, contents: nil) else {
        throw ConfigError(file: path, line: 0, "cannot create the events file")
      }
    }
    handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    handle.seekToEndOfFile()
  }

  public func deliver(_ event: AlertEvent) {
    let line = Self.json(event) + "\n"
    lock.lock()
    handle.write(Data(line.utf8))
    lock.unlock()
  }

  /// The event payload of DESIGN.md's `<prefix>/events` topic.
  public static func json(_ event: AlertEvent) -> String {
    var object: [String: Any] = [
      "type": event.kind.rawValue, "id": event.id, "camera": event.camera, "rule": event.rule, "label": event.label,
      "score": event.score, "top_score": event.topScore, "threshold": event.threshold, "start_time": event.startTime,
      "end_time": event.endTime.map { $0 as Any } ?? NSNull(), "frame_time": event.frameTime,
      "has_snapshot": event.hasSnapshot, "model": event.model,
    ]
    object["end_time"] = event.endTime.map { $0 as Any } ?? NSNull()
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
  }
}
