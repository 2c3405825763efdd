import Foundation
import TestSupport
import Testing

/// The RTSP server behind a camera restarts: the daemon reconnects by itself,
/// frames flow again, and the stats topic counts the reconnect.
@Suite(.serialized) struct CameraRestartTests {
  @Test func rtspRestartIsReconnectedAndCounted() throws {
    let directory = try Repository.temporaryDirectory("camera-restart")
    let server = try RTSPTestServer()
    let broker = try MosquittoBroker()
    let stats = try broker.subscribe(["monitor/test/stats"])
    let config = try DaemonConfig.write(
      in: directory, mqttPort: broker.port, cameraURL: server.url, cameraLines: ["motion = false"])
    let daemon = try ChildProcess(
      try Executables.path("monitor"), ["run", "--config", config, "--stats-interval", "1", "--seconds", "30"])
    defer { daemon.kill() }

    func latest() -> [String: Any]? {
      let lines = stats.log.split(separator: "\n").filter { $0.hasPrefix("monitor/test/stats ") }
      guard let last = lines.last else { return nil }
      let json = Data(last.dropFirst("monitor/test/stats ".count).utf8)
      return ((try? JSONSerialization.jsonObject(with: json)) as? [String: Any])?["cameras"].flatMap {
        ($0 as? [String: Any])?["cam"] as? [String: Any]
      }
    }
    #expect(waitUntil(timeout: 15) { (latest()?["embedded"] as? Int ?? 0) >= 3 }, "\(daemon.log)")
    // Each message covers its interval: how many frames were scored and how long decode → score took.
    #expect(
      waitUntil(timeout: 5) {
        guard let camera = latest(), let p50 = camera["latency_p50_ms"] as? Double,
          let p99 = camera["latency_p99_ms"] as? Double, let rate = camera["embeds_per_s"] as? Double
        else { return false }
        return 0 < p50 && p50 <= p99 && p99 < 5000 && rate > 0
      }, "\(stats.log)")
    server.kill()
    #expect(waitUntil(timeout: 10) { latest()?["connected"] as? Bool == false }, "\(daemon.log)")
    let before = latest()?["embedded"] as? Int ?? 0
    try server.start()
    #expect(
      waitUntil(timeout: 20) {
        (latest()?["embedded"] as? Int ?? 0) >= before + 3 && latest()?["connected"] as? Bool == true
      },
      "\(daemon.log)")
    #expect((latest()?["reconnects"] as? Int ?? 0) >= 1)
    #expect(daemon.log.contains("camera cam: rtsp://127.0.0.1:\(server.port)/camera: connected"))
  }
}
