import Alerts
import Core
import Foundation

/// One stderr line per event (journald under systemd).
public final class LogSink: AlertSink {
  private let log: @Sendable (String) -> Void
  public init(log: @escaping @Sendable (String) -> Void) { self.log = log }
  public func deliver(_ event: AlertEvent) { log(event.summary) }
}

/// Appends one JSON object per event (the MQTT event payload) to a file
/// (`monitor run --events-file`): for scripts, tests, and checking a setup
/// before MQTT is configured.
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
    var line = Payloads.event(event)
    line.append(0x0A)
    lock.lock()
    handle.write(line)
    lock.unlock()
  }
}
