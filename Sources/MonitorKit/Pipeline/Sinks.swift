import Alerts
import Core
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One stderr line per event (journald under systemd).
public final class LogSink: AlertSink {
  private let log: @Sendable (String) -> Void
  public init(log: @escaping @Sendable (String) -> Void) { self.log = log }
  public func deliver(_ event: AlertEvent) { log(event.summary) }
}

/// Appends one JSON object per event (the MQTT event payload) to a file
/// (`monitor run --events-file`): for scripts, tests, and checking a setup
/// before MQTT is configured. A plain file descriptor opened with `O_APPEND`
/// (Foundation's `FileHandle.write` traps on ENOSPC, EPIPE or a FIFO): a
/// failed write is logged once, counted, and never stops the daemon or the
/// sinks after this one.
public final class JSONLinesSink: AlertSink, @unchecked Sendable {
  private let path: String
  private let descriptor: Int32
  private let log: @Sendable (String) -> Void
  private let lock = NSLock()
  /// Events not written since the file last accepted one (0: healthy).
  private var unwritten = 0

  public init(path: String, log: @escaping @Sendable (String) -> Void) throws {
    self.path = path
    self.log = log
    // O_NONBLOCK only so that opening a FIFO nobody reads fails (ENXIO) instead of hanging.
    let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK, 0o644)
    guard descriptor >= 0 else {
      let reason = errno == ENXIO ? "it is a FIFO that no process reads" : String(cString: strerror(errno))
      throw ConfigError(file: path, line: 0, "cannot open the events file: \(reason)")
    }
    _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
    self.descriptor = descriptor
  }

  deinit { close(descriptor) }

  public func deliver(_ event: AlertEvent) {
    var line = Payloads.event(event)
    line.append(0x0A)
    lock.withLock {
      if let failure = Self.writeAll(descriptor, line) {
        if unwritten == 0 { log("events file \(path): \(failure); event \(event.id) not written (more are counted)") }
        unwritten += 1
      } else if unwritten > 0 {
        log("events file \(path): writable again; \(unwritten) event(s) were not written")
        unwritten = 0
      }
    }
  }

  /// Writes every byte (retrying short writes and EINTR); the error text on failure.
  private static func writeAll(_ descriptor: Int32, _ data: Data) -> String? {
    data.withUnsafeBytes { bytes in
      var offset = 0
      while offset < bytes.count {
        let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          return String(cString: strerror(errno))
        }
        offset += written
      }
      return nil
    }
  }
}
