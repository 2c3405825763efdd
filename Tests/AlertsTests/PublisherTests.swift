import Alerts
import Core
import Foundation
import TestSupport
import Testing

/// The publisher against a real mosquitto broker, with a real subscriber.
@Suite(.serialized) struct PublisherTests {
  static func event(_ kind: AlertEvent.Kind, id: String, time: Double, snapshot: [UInt8]? = nil) -> AlertEvent {
    AlertEvent(
      kind: kind, id: id, camera: "hall", rule: "person-falls", label: "a person falls", score: 0.8, topScore: 0.8,
      threshold: 0.6, startTime: 1, endTime: kind == .end ? time : nil, frameTime: time, snapshot: snapshot,
      model: "test")
  }

  static func publisher(
    port: Int, outbox directory: String, entitiesFile: String? = nil,
    log: @escaping @Sendable (String) -> Void = { _ in }
  ) throws -> MQTTPublisher {
    var settings = MQTTPublisher.Settings(topics: Topics(prefix: "monitor", node: "edge"), clientID: "test-\(port)")
    settings.host = "127.0.0.1"
    settings.port = port
    return try MQTTPublisher(
      settings: settings, outbox: try Outbox(directory: directory), entitiesFile: entitiesFile, log: log)
  }

  /// `topic payload` lines a subscriber printed (debug lines dropped).
  static func lines(_ subscriber: ChildProcess) -> [String] {
    subscriber.log.split(separator: "\n").map(String.init).filter {
      $0.hasPrefix("monitor/") || $0.hasPrefix("homeassistant/")
    }
  }

  @Test func eventsStatesSnapshotAvailabilityAndDiscovery() throws {
    let broker = try MosquittoBroker()
    let subscriber = try broker.subscribe(["monitor/#", "homeassistant/#"])
    let publisher = try Self.publisher(port: broker.port, outbox: try Repository.temporaryDirectory("mqtt").path)
    publisher.start()
    #expect(waitUntil(timeout: 10) { publisher.isConnected })
    publisher.setEntities([.init(camera: "hall", rule: "person-falls", label: "a person falls")])
    publisher.deliver(Self.event(.new, id: "e1", time: 2, snapshot: [0xFF, 0xD8, 0xFF, 0xD9]))
    publisher.deliver(Self.event(.end, id: "e1", time: 5))
    #expect(waitUntil(timeout: 10) { publisher.outbox.count == 0 })
    #expect(
      waitUntil(timeout: 5) { Self.lines(subscriber).last == "monitor/edge/hall/person-falls/state OFF" },
      "\(subscriber.log)")
    let lines = Self.lines(subscriber)
    #expect(lines.contains("monitor/edge/available online"))
    #expect(
      lines.contains {
        $0.hasPrefix("homeassistant/binary_sensor/edge_hall_person-falls/config {")
          && $0.contains("\"unique_id\":\"monitor_edge_hall_person-falls\"")
      })
    let events = lines.filter { $0.hasPrefix("monitor/edge/events ") }
    #expect(events.count == 2 && events[0].contains("\"type\":\"new\"") && events[1].contains("\"type\":\"end\""))
    #expect(
      lines.firstIndex(of: "monitor/edge/hall/person-falls/state ON")! < lines.lastIndex(
        of: "monitor/edge/hall/person-falls/state OFF")!)
    // M7: retained OFF from the start (Home Assistant showed `unknown` before a rule's first episode).
    #expect(
      lines.firstIndex(of: "monitor/edge/hall/person-falls/state OFF")! < lines.firstIndex(
        of: "monitor/edge/hall/person-falls/state ON")!)
    #expect(lines.contains { $0.hasPrefix("monitor/edge/hall/person-falls/snapshot ") })
    publisher.stop()
    #expect(waitUntil(timeout: 5) { Self.lines(subscriber).contains("monitor/edge/available offline") })
  }

  /// The update naming an ended episode's clip follows its `end` on the
  /// events topic and leaves the binary sensor OFF.
  @Test func aClipUpdateAfterTheEndKeepsTheStateOff() throws {
    let broker = try MosquittoBroker()
    let subscriber = try broker.subscribe(["monitor/#"])
    let publisher = try Self.publisher(port: broker.port, outbox: try Repository.temporaryDirectory("mqtt-clip").path)
    publisher.start()
    #expect(waitUntil(timeout: 10) { publisher.isConnected })
    publisher.setEntities([.init(camera: "hall", rule: "person-falls", label: "a person falls")])
    publisher.deliver(Self.event(.new, id: "e1", time: 2))
    let end = Self.event(.end, id: "e1", time: 5)
    publisher.deliver(end)
    var clipped = end
    clipped.kind = .update
    clipped.clip = AlertEvent.Clip(file: "e1.mp4", startTime: 0, endTime: 10)
    publisher.deliver(clipped)
    #expect(waitUntil(timeout: 10) { publisher.outbox.count == 0 })
    #expect(
      waitUntil(timeout: 5) { Self.lines(subscriber).filter { $0.hasPrefix("monitor/edge/events ") }.count == 3 },
      "\(subscriber.log)")
    let lines = Self.lines(subscriber)
    let events = lines.filter { $0.hasPrefix("monitor/edge/events ") }
    #expect(events[2].contains("\"type\":\"update\"") && events[2].contains("\"has_clip\":true"))
    #expect(events[2].contains("\"clip_end_time\":10") && events[2].contains("\"end_time\":5"))
    let states = lines.filter { $0.hasPrefix("monitor/edge/hall/person-falls/state ") }
    #expect(states.last == "monitor/edge/hall/person-falls/state OFF", "\(states)")
    publisher.stop()
  }

  /// Issue 20: Home Assistant's switch, event and image entities. A valid
  /// command reaches the daemon and its state is retained; a bad payload or
  /// an unknown camera × rule is one line and changes nothing. The start and
  /// end of an episode reach the camera's event entity, the snapshot its image.
  @Test func switchCommandsAndTheCameraEventAndImageEntities() throws {
    let broker = try MosquittoBroker()
    let subscriber = try broker.subscribe(["monitor/#", "homeassistant/#"])
    let log = Recorder<String>()
    let switched = Recorder<String>()
    var settings = MQTTPublisher.Settings(topics: Topics(prefix: "monitor", node: "edge"), clientID: "switches")
    settings.host = "127.0.0.1"
    settings.port = broker.port
    let publisher = try MQTTPublisher(
      settings: settings, outbox: try Outbox(directory: try Repository.temporaryDirectory("mqtt").path),
      log: { log.append($0) }, onSwitch: { switched.append("\($0.camera)/\($0.rule)=\($1)") })
    publisher.start()
    #expect(waitUntil(timeout: 10) { publisher.isConnected })
    publisher.setEntities([.init(camera: "hall", rule: "person-falls", label: "a person falls")])
    #expect(waitUntil(timeout: 5) { Self.lines(subscriber).contains("monitor/edge/hall/person-falls/switch ON") })
    try broker.publish("monitor/edge/hall/person-falls/set", "OFF")
    #expect(waitUntil(timeout: 5) { Self.lines(subscriber).contains("monitor/edge/hall/person-falls/switch OFF") })
    #expect(switched.all == ["hall/person-falls=false"])
    try broker.publish("monitor/edge/hall/person-falls/set", "off\n\u{1b}[31m")
    try broker.publish("monitor/edge/yard/person-falls/set", "ON")
    let commandLines = { log.all.filter { $0.hasPrefix("mqtt monitor/") } }
    #expect(waitUntil(timeout: 5) { commandLines().count == 2 }, "\(log.all)")
    #expect(
      commandLines() == [
        "mqtt monitor/edge/hall/person-falls/set: expected ON or OFF, got 'off  [31m'; ignored",
        "mqtt monitor/edge/yard/person-falls/set: no rule 'person-falls' on camera 'yard' (see monitor rules); ignored",
      ])
    #expect(switched.all == ["hall/person-falls=false"])

    publisher.deliver(Self.event(.new, id: "e1", time: 2, snapshot: [0xFF, 0xD8, 0xFF, 0xD9]))
    publisher.deliver(Self.event(.update, id: "e1", time: 3))
    publisher.deliver(Self.event(.end, id: "e1", time: 5))
    #expect(waitUntil(timeout: 10) { publisher.outbox.count == 0 })
    #expect(
      waitUntil(timeout: 5) { Self.lines(subscriber).filter { $0.hasPrefix("monitor/edge/hall/event ") }.count == 2 })
    let entityEvents = Self.lines(subscriber).filter { $0.hasPrefix("monitor/edge/hall/event ") }
    #expect(entityEvents[0].contains("\"event_type\":\"new\"") && entityEvents[0].contains("\"rule\":\"person-falls\""))
    #expect(entityEvents[1].contains("\"event_type\":\"end\"") && entityEvents[1].contains("\"end_time\":5"))
    #expect(Self.lines(subscriber).contains { $0.hasPrefix("monitor/edge/hall/snapshot ") })
    for component in [
      "binary_sensor/edge_hall_person-falls", "switch/edge_hall_person-falls", "event/edge_hall_episodes",
      "image/edge_hall_snapshot",
    ] {
      #expect(
        Self.lines(subscriber).contains {
          $0.hasPrefix("homeassistant/\(component)/config {")
            && $0.contains("\"availability_topic\":\"monitor\\/edge\\/available\"")
        }, "\(component)")
    }
    publisher.stop()
  }

  /// M7: a rule removed while the daemon was down: the next run, reading the
  /// entity set the last one saved, deletes its retained topics on the broker.
  @Test func m7RuleRemovedWhileStoppedLeavesNothingRetained() throws {
    let broker = try MosquittoBroker()
    let directory = try Repository.temporaryDirectory("mqtt-entities").path
    let entities = directory + "/mqtt-entities.json"
    let falls = MQTTPublisher.Entity(camera: "hall", rule: "person-falls", label: "a person falls")
    let smoke = MQTTPublisher.Entity(camera: "hall", rule: "smoke", label: "smoke")
    let first = try Self.publisher(port: broker.port, outbox: directory + "/outbox", entitiesFile: entities)
    first.start()
    #expect(waitUntil(timeout: 10) { first.isConnected })
    first.setEntities([falls, smoke])
    first.deliver(Self.event(.new, id: "e1", time: 2, snapshot: [0xFF, 0xD8, 0xFF, 0xD9]))
    #expect(waitUntil(timeout: 10) { first.outbox.count == 0 })
    first.stop()
    // Restarted without the rule: a fresh subscriber sees what stays retained.
    let second = try Self.publisher(port: broker.port, outbox: directory + "/outbox", entitiesFile: entities)
    second.start()
    #expect(waitUntil(timeout: 10) { second.isConnected })
    second.setEntities([smoke])
    let probe = try broker.subscribe(["monitor/#", "homeassistant/#"])
    #expect(waitUntil(timeout: 5) { Self.lines(probe).contains("monitor/edge/hall/smoke/state OFF") }, "\(probe.log)")
    Thread.sleep(forTimeInterval: 0.5)
    #expect(!Self.lines(probe).contains { $0.contains("person-falls") }, "\(probe.log)")
    second.stop()
  }

  /// H5: with the broker connected but the outbox unwritable (disk full,
  /// read-only remount, directory gone), events were dropped unpublished.
  @Test func h5UnwritableOutboxStillPublishesAndRecovers() throws {
    let broker = try MosquittoBroker()
    let subscriber = try broker.subscribe(["monitor/+/events"])
    let directory = try Repository.temporaryDirectory("mqtt").path
    let log = Recorder<String>()
    let publisher = try Self.publisher(port: broker.port, outbox: directory, log: { log.append($0) })
    publisher.start()
    #expect(waitUntil(timeout: 10) { publisher.isConnected })
    // Tests run as root, which no mode bits stop: take the directory away instead.
    try FileManager.default.removeItem(atPath: directory)
    for i in 1...3 { publisher.deliver(Self.event(.new, id: "unstored-\(i)", time: Double(i))) }
    #expect(waitUntil(timeout: 10) { Self.lines(subscriber).count == 3 }, "\(subscriber.log)")
    #expect(publisher.outbox.unstored == 3)
    #expect(waitUntil(timeout: 5) { publisher.outbox.count == 0 })
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    publisher.deliver(Self.event(.end, id: "stored", time: 4))
    #expect(waitUntil(timeout: 10) { Self.lines(subscriber).count == 4 })
    #expect(publisher.outbox.unstored == 3)
    let disk = log.all.filter { $0.hasPrefix("mqtt outbox:") }
    #expect(disk.count == 2, "\(log.all)")
    #expect(disk.first?.contains("cannot create (No such file or directory); event unstored-1 and the next") == true)
    #expect(disk.last == "mqtt outbox: storing events again (3 were kept only in memory)")
    publisher.stop()
  }

  @Test func eventsDuringABrokerOutageArriveInOrderAfterward() throws {
    let broker = try MosquittoBroker(persistent: true)
    // A persistent-session subscriber: the broker keeps its subscription and queues for it.
    let session = ["-c", "-i", "outage-subscriber"]
    let first = try broker.subscribe(["monitor/+/events"], extra: session)
    let directory = try Repository.temporaryDirectory("mqtt").path
    let publisher = try Self.publisher(port: broker.port, outbox: directory)
    publisher.start()
    #expect(waitUntil(timeout: 10) { publisher.isConnected })
    publisher.deliver(Self.event(.new, id: "before", time: 0))
    #expect(waitUntil(timeout: 5) { Self.lines(first).count == 1 })
    first.kill()
    broker.terminate()
    #expect(waitUntil(timeout: 10) { !publisher.isConnected })
    let ids = (1...6).map { "outage-\($0)" }
    for (i, id) in ids.enumerated() { publisher.deliver(Self.event(i % 2 == 0 ? .new : .end, id: id, time: Double(i))) }
    #expect(publisher.outbox.count == 6)
    try broker.start()
    #expect(waitUntil(timeout: 40) { publisher.outbox.count == 0 }, "outbox never drained")
    let second = try broker.subscribe(["monitor/+/events"], extra: session)
    #expect(waitUntil(timeout: 5) { Self.lines(second).count >= 6 })
    // Redelivery of an id is allowed (at-least-once); order and completeness are not negotiable.
    var received: [String] = []
    for line in Self.lines(second) {
      if let id = ids.first(where: { line.contains("\"id\":\"\($0)\"") }), received.last != id { received.append(id) }
    }
    #expect(received == ids, "\(second.log)")
    publisher.stop()
  }

  @Test func killedWhileTheBrokerIsDownDeliversAfterRestart() throws {
    let broker = try MosquittoBroker()
    let directory = try Repository.temporaryDirectory("mqtt").path
    broker.kill()
    do {
      // A publisher that never reaches the broker, then "dies" with its outbox on disk.
      let doomed = try Self.publisher(port: broker.port, outbox: directory)
      doomed.start()
      for i in 1...3 { doomed.deliver(Self.event(.new, id: "kept-\(i)", time: Double(i))) }
      #expect(doomed.outbox.count == 3)
    }
    try broker.start()
    let subscriber = try broker.subscribe(["monitor/+/events"])
    let revived = try Self.publisher(port: broker.port, outbox: directory)
    revived.start()
    #expect(waitUntil(timeout: 15) { revived.outbox.count == 0 })
    #expect(waitUntil(timeout: 5) { Self.lines(subscriber).count >= 3 })
    let received = Self.lines(subscriber).compactMap { line in
      ["kept-1", "kept-2", "kept-3"].first { line.contains($0) }
    }
    #expect(received == ["kept-1", "kept-2", "kept-3"])
    revived.stop()
  }

  /// Events delivered while the backlog of a previous run is being resent
  /// after connecting leave after it, in outbox order (a new event used to
  /// overtake the backlog: an `end` arrived before its episode's `update`).
  @Test func eventsDeliveredDuringTheBacklogResendKeepOutboxOrder() throws {
    let broker = try MosquittoBroker()
    let directory = try Repository.temporaryDirectory("mqtt-order").path
    do {
      let outbox = try Outbox(directory: directory)
      for i in 0..<1000 {
        _ = outbox.append(
          topic: "monitor/edge/events", payload: Data("{\"n\":\(i)}".utf8), kind: .update)
      }
    }
    let subscriber = try broker.subscribe(["monitor/+/events"])
    let publisher = try Self.publisher(port: broker.port, outbox: directory)
    publisher.start()
    // Deliver while the connection comes up and the backlog goes out.
    for i in 1000..<1100 {
      publisher.deliver(Self.event(.update, id: "n-\(i)", time: Double(i)))
      if i % 10 == 0 { Thread.sleep(forTimeInterval: 0.001) }
    }
    #expect(waitUntil(timeout: 20) { publisher.outbox.count == 0 })
    #expect(waitUntil(timeout: 5) { Self.lines(subscriber).count >= 1100 })
    let order = Self.lines(subscriber).compactMap { line -> Int? in
      if let range = line.range(of: "{\"n\":") { return Int(line[range.upperBound...].dropLast()) }
      if let range = line.range(of: "\"id\":\"n-") { return Int(line[range.upperBound...].prefix(4)) }
      return nil
    }
    #expect(order.count == 1100 && order == order.sorted(), "\(order.prefix(20))…")
    publisher.stop()
  }

  /// L12, on a real broker: two publishers with one client id take each
  /// other's connection over; both keep going and one says why.
  @Test(.timeLimit(.minutes(1))) func l12SharedClientIDIsNamedInTheLog() throws {
    let broker = try MosquittoBroker()
    let logs = Recorder<String>()
    let first = try Self.publisher(
      port: broker.port, outbox: try Repository.temporaryDirectory("mqtt-a").path, log: { logs.append($0) })
    let second = try Self.publisher(
      port: broker.port, outbox: try Repository.temporaryDirectory("mqtt-b").path, log: { logs.append($0) })
    first.start()
    #expect(waitUntil(timeout: 10) { first.isConnected })
    second.start()
    #expect(
      waitUntil(timeout: 40) { logs.all.contains { $0.contains("another client probably uses the client id") } },
      "\(logs.all)")
    first.stop(timeout: 0)
    second.stop(timeout: 0)
  }
}
