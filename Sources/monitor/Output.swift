import Foundation
import MonitorKit

#if canImport(Glibc)
  import Glibc
#endif

/// Log lines for the operator go to stderr (journald under systemd).
/// Free functions on purpose: sources call them from their reader threads,
/// where a main-actor closure would trap (docs/ARCHITECTURE.md, "Swift 6 and C libraries").
@Sendable func logLine(_ line: String) { OperatorLog.write(line) }

/// Writes without a newline (progress bars).
func logRaw(_ text: String) {
  let bytes = Array(text.utf8)
  bytes.withUnsafeBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

/// A failure at run time (not a usage error): printed as one line, exit 1.
struct Failure: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }

  /// Runs `body`; any error it throws becomes a one-line `Failure` (no usage text).
  static func wrap<T>(_ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch {
      throw Failure("\(error)")
    }
  }
}
