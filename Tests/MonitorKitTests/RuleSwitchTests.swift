import Foundation
import TestSupport
import Testing

/// Issue 20: Home Assistant's rule switches through the real binary on the
/// demo video and a real broker: a rule switched off over MQTT raises nothing
/// on that camera, switched on it fires again, the choice lives in
/// `state_dir` and survives a restart, `monitor rules` shows it; the camera's
/// event entity carries the episodes.
@Suite(.serialized) struct RuleSwitchTests {
  static func config(in directory: URL, broker: MosquittoBroker) throws -> String {
    let path = try DaemonConfig.demo(in: directory, loop: true)
    let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(
      of: "[mqtt]\nenabled = false", with: "[mqtt]\nhost = \"127.0.0.1\"\nport = \(broker.port)\nprefix = \"monitor\"")
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  static func lines(_ subscriber: ChildProcess) -> [String] { subscriber.log.split(separator: "\n").map(String.init) }

  @Test(.timeLimit(.minutes(4))) func aRuleSwitchedOffOverMQTTStaysQuietUntilSwitchedOn() throws {
    let directory = try Repository.temporaryDirectory("rule-switch")
    let broker = try MosquittoBroker()
    let config = try Self.config(in: directory, broker: broker)
    let subscriber = try broker.subscribe(["monitor/test/#"])
    let switchTopic = "monitor/test/demo/disappears/switch"
    let events = { Self.lines(subscriber).filter { $0.hasPrefix("monitor/test/events ") } }
    var daemon = try ChildProcess(try Executables.path("monitor"), ["run", "--config", config])
    defer { daemon.kill() }
    #expect(waitUntil(timeout: 60) { Self.lines(subscriber).contains("\(switchTopic) ON") }, "\(daemon.log)")
    // In the demo `disappears` first fires at 12.5 s of stream time, `moves-right` ends at 27 s.
    try broker.publish("monitor/test/demo/disappears/set", "OFF")
    #expect(waitUntil(timeout: 5) { Self.lines(subscriber).contains("\(switchTopic) OFF") })
    #expect(daemon.log.contains("rule disappears switched off for camera demo"), "\(daemon.log)")
    #expect(
      waitUntil(timeout: 90) { events().contains { $0.contains("\"type\":\"end\"") && $0.contains("moves-right") } },
      "\(daemon.log)")
    #expect(!events().contains { $0.contains("\"rule\":\"disappears\"") }, "\(events())")
    #expect(events().contains { $0.contains("\"rule\":\"enters\"") })  // the camera's other rules serve on
    // The camera's event entity: starts and ends, no updates.
    let entity = Self.lines(subscriber).filter { $0.hasPrefix("monitor/test/demo/event ") }
    #expect(entity.contains { $0.contains("\"event_type\":\"new\"") && $0.contains("\"rule\":\"enters\"") })
    #expect(!entity.isEmpty && !entity.contains { $0.contains("\"event_type\":\"update\"") })

    try broker.publish("monitor/test/demo/disappears/set", "ON")
    #expect(
      waitUntil(timeout: 60) { events().contains { $0.contains("\"rule\":\"disappears\"") } }, "\(daemon.log)")

    // Home Assistant's "false alarm" button: the camera's latest episode
    // becomes a false alarm of its rule, picked up without a restart.
    // Reloads counted before the press: the reload may be logged as soon as the picture is.
    let reloads = daemon.log.components(separatedBy: "rules reloaded").count
    try broker.publish("monitor/test/demo/false_alarm", "PRESS")
    #expect(waitUntil(timeout: 10) { daemon.log.contains("false alarm (mqtt): episode ") }, "\(daemon.log)")
    let line = try #require(daemon.log.split(separator: "\n").first { $0.contains("false alarm (mqtt): episode ") })
    let picture = try #require(line.split(separator: "(").last.map { String($0.dropLast()) })
    #expect(picture.hasPrefix(directory.path + "/false-alarms/") && FileManager.default.fileExists(atPath: picture))
    #expect(waitUntil(timeout: 5) { daemon.log.components(separatedBy: "rules reloaded").count > reloads })
    try broker.publish("monitor/test/demo/false_alarm", "yesterday's")
    try broker.publish("monitor/test/nowhere/false_alarm", "PRESS")
    #expect(
      waitUntil(timeout: 5) {
        daemon.log.contains("mqtt false alarm on camera demo: expected PRESS or an episode id, got 'yesterday's'")
          && daemon.log.contains("mqtt monitor/test/nowhere/false_alarm: no camera 'nowhere' with rules; ignored")
      }, "\(daemon.log)")

    // Off again, stopped: the switch is in state_dir and `monitor rules` shows it.
    try broker.publish("monitor/test/demo/disappears/set", "OFF")
    #expect(waitUntil(timeout: 5) { Self.lines(subscriber).last { $0.hasPrefix(switchTopic) } == "\(switchTopic) OFF" })
    daemon.signal(SIGTERM)
    daemon.process.waitUntilExit()
    let stored = try String(contentsOfFile: directory.path + "/rule-switches.json", encoding: .utf8)
    #expect(stored.contains("\"camera\" : \"demo\"") && stored.contains("\"rule\" : \"disappears\""), "\(stored)")
    let listed = try Executables.monitor(["rules", "--config", config])
    let row = listed.output.split(separator: "\n").first { $0.hasPrefix("disappears ") }
    #expect(row?.hasSuffix(" demo") == true, "\(listed.output)")
    #expect(listed.output.split(separator: "\n").first { $0.hasPrefix("enters ") }?.hasSuffix(" -") == true)

    // The same from the command line, on another episode; then what cannot be.
    let history = try ChildProcess.run(try Executables.path("monitor"), ["events", "--config", config, "--json"])
    let other = try #require(
      history.split(separator: "\n").compactMap {
        (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
      }.first { $0["feedback"] is NSNull && $0["has_snapshot"] as? Bool == true })
    let otherID = try #require(other["id"] as? String)
    let marked = try Executables.monitor(["feedback", otherID, "--false-alarm", "--config", config])
    #expect(marked.status == 0 && marked.output.contains("episode \(otherID) (rule "), "\(marked.output)")
    #expect(
      FileManager.default.fileExists(
        atPath: directory.path + "/false-alarms/" + (other["rule"] as? String ?? "?") + "/\(otherID).jpg"))
    let unknown = try Executables.monitor([
      "feedback", "00000000-0000-4000-8000-000000000000", "--false-alarm", "--config", config,
    ])
    #expect(unknown.status != 0 && unknown.output.contains("no episode '00000000-0000-4000-8000-000000000000'"))
    let unsaid = try Executables.monitor(["feedback", otherID, "--config", config])
    #expect(unsaid.status != 0 && unsaid.output.contains("--false-alarm"))

    // The next run publishes the stored state again (the broker's retained copy removed first).
    try broker.publish(switchTopic, "", retain: true)
    let probe = try broker.subscribe([switchTopic])
    daemon = try ChildProcess(try Executables.path("monitor"), ["run", "--config", config])
    #expect(waitUntil(timeout: 60) { Self.lines(probe).contains("\(switchTopic) OFF") }, "\(daemon.log)")
  }
}
