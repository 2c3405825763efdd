import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// sd_notify(3) without libsystemd: datagrams to `$NOTIFY_SOCKET` (a leading
/// `@` means the abstract namespace). Does nothing when not run by systemd.
public final class SystemdNotifier: Sendable {
  private let path: String?
  /// Half of `$WATCHDOG_USEC`, in seconds, when systemd's watchdog is on.
  public let watchdogInterval: Double?

  public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
    path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    watchdogInterval = environment["WATCHDOG_USEC"].flatMap(Double.init).map { $0 / 2_000_000 }
  }

  public var isActive: Bool { path != nil }

  /// Sends `message` (e.g. `READY=1`, `STATUS=…`, `WATCHDOG=1`, `STOPPING=1`).
  public func notify(_ message: String) {
    guard let path else { return }
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { return }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    var bytes = Array(path.utf8)
    if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    guard bytes.count < capacity else { return }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (i, byte) in bytes.enumerated() { raw[i] = byte }
    }
    let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
    let payload = Array(message.utf8)
    _ = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddr in
        sendto(fd, payload, payload.count, Int32(MSG_NOSIGNAL), sockaddr, length)
      }
    }
  }
}
