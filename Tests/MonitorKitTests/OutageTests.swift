import Foundation
import MonitorKit
import Rules
import TestSupport
import Testing

/// The daemon with the broker down: events wait in the outbox, survive a
/// SIGKILL of the daemon, and arrive once broker and daemon are back.
@Suite(.serialized) struct OutageTests {
  @Test func daemonKilledWhileBrokerDownDeliversAfterBothRestart() throws {
    let directory = try Repository.temporaryDirectory("outage")
    let broker = try MosquittoBroker(persistent: true)
    let session = ["-c", "-i", "outage-daemon-subscriber"]
    let registration = try broker.subscribe(["monitor/test/events"], extra: session)
    registration.kill()
    broker.terminate()  // down from here on; the subscription is saved

    let video = try TestVideos.make(codec: .h264, seconds: 2, fps: 10, width: 96, height: 72, in: directory)
    let rules = directory.appendingPathComponent("rules").path
    var rule = Rule(id: "anything", text: ["a test pattern"])
    rule.threshold = 0.001
    rule.minDuration = 0
    try RuleStore(directory: rules).save(rule)
    let config = try DaemonConfig.write(
      in: directory, rules: rules, mqttPort: broker.port, cameraURL: video.path, cameraLines: ["loop = true"])
    let outbox = directory.appendingPathComponent("outbox").path
    func queued() -> Int {
      ((try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? []).filter { $0.hasSuffix(".msg") }.count
    }
    let first = try ChildProcess(try Executables.path("monitor"), ["run", "--config", config])
    #expect(waitUntil(timeout: 15) { queued() >= 1 }, "\(first.log)")
    first.kill()  // SIGKILL: no chance to flush anything
    let waiting = queued()
    #expect(waiting >= 1)

    try broker.start()
    try "id = \"anything\"\ntext = \"a test pattern\"\nthreshold = 0.999\n".write(
      toFile: rules + "/anything.toml", atomically: true, encoding: .utf8)  // no new episodes on restart
    let second = try ChildProcess(try Executables.path("monitor"), ["run", "--config", config, "--seconds", "4"])
    second.process.waitUntilExit()
    #expect(waitUntil(timeout: 5) { queued() == 0 }, "\(second.log)")
    let subscriber = try broker.subscribe(["monitor/test/events"], extra: session)
    #expect(waitUntil(timeout: 5) { subscriber.log.components(separatedBy: "\"type\":\"new\"").count - 1 >= 1 })
    #expect(subscriber.log.contains("\"rule\":\"anything\""), "\(subscriber.log)")
  }
}
