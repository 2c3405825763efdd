import Foundation
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// The operator's log through swift-log: each message is one line on stderr
/// (journald adds time and unit), written with one write(2) so lines from
/// reader threads never interleave. Libraries' debug chatter (the service
/// group's) stays below the `info` level and out of the journal.
public struct OperatorLog: LogHandler {
  public var logLevel: Logger.Level = .info
  public var metadata: Logger.Metadata = [:]

  public init() {}

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var line = event.message.description
    if event.level >= .warning, !line.hasPrefix("warning") && !line.hasPrefix("error") {
      line = "\(event.level): " + line
    }
    OperatorLog.write(line)
  }

  /// One line to stderr, whole.
  public static func write(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    bytes.withUnsafeBytes { _ = Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
  }

  /// Installs the handler (once, first thing in `main`) .
  public static func bootstrap() { LoggingSystem.bootstrap { _ in OperatorLog() } }

  /// The daemon's logger.
  public static var logger: Logger { Logger(label: "monitor") }
}
