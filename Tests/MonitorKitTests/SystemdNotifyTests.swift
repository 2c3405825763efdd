import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A datagram listener standing in for systemd receives READY, STATUS,
/// WATCHDOG and STOPPING from `monitor run`, in that order.
@Suite struct SystemdNotifyTests {
  @Test func readyThenStatusThenWatchdogThenStopping() throws {
    let directory = try Repository.temporaryDirectory("notify")
    let socketPath = directory.appendingPathComponent("notify.sock").path
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (i, byte) in socketPath.utf8.enumerated() { raw[i] = byte }
    }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    #expect(bound == 0)
    var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

    let video = try TestVideos.make(codec: .h264, seconds: 2, fps: 10, width: 96, height: 72, in: directory)
    let config = try DaemonConfig.write(
      in: directory, mqttPort: nil, cameraURL: video.path, cameraLines: ["loop = true"])
    let child = try ChildProcess(
      try Executables.path("monitor"), ["run", "--config", config, "--seconds", "3"],
      environment: ["NOTIFY_SOCKET": socketPath, "WATCHDOG_USEC": "1000000"])
    var messages: [String] = []
    let end = Date().addingTimeInterval(15)
    var buffer = [UInt8](repeating: 0, count: 512)
    while Date() < end && !messages.contains("STOPPING=1") {
      let count = recv(fd, &buffer, buffer.count, 0)
      if count > 0 { messages.append(String(decoding: buffer[..<count], as: UTF8.self)) }
    }
    child.process.waitUntilExit()
    #expect(messages.first == "READY=1", "\(messages)")
    #expect(
      messages.dropFirst().first.map { $0.hasPrefix("STATUS=") && $0.hasSuffix("/1 cameras up, 0 rules, mqtt off") }
        == true)
    #expect(messages.contains("STATUS=1/1 cameras up, 0 rules, mqtt off"), "\(messages)")
    let watchdog = messages.firstIndex(of: "WATCHDOG=1")
    #expect(watchdog != nil && watchdog! > 1, "\(messages)")
    #expect(messages.last == "STOPPING=1")
  }
}
