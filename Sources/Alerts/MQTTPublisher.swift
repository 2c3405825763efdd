import CMosquitto
import Core
import Foundation
import Synchronization

/// Delivers events over MQTT with libmosquitto, losing nothing it has
/// accepted: every event is in the on-disk outbox before it is published and
/// leaves it only on PUBACK; after a reconnect the outbox is sent again in
/// order (at-least-once; the event id lets subscribers de-duplicate).
/// Availability (with a last will), retained ON/OFF states and snapshots and
/// Home Assistant discovery are re-published after every reconnect.
///
/// libmosquitto runs its own network thread (`loop_start`), which reconnects
/// with backoff (1 s doubling to 30 s) and calls the callbacks below.
public final class MQTTPublisher: AlertSink, @unchecked Sendable {
  public struct Settings: Sendable {
    public var host = "localhost"
    public var port = 1883
    public var clientID: String
    public var username: String?
    /// Never logged.
    public var password: String?
    public var tlsCA: String?
    public var tlsCert: String?
    public var tlsKey: String?
    public var keepalive = 30
    public var qos = 1
    public var topics: Topics

    public init(topics: Topics, clientID: String) {
      self.topics = topics
      self.clientID = clientID
    }
  }

  public typealias Entity = BrokerSession.Entity

  public let settings: Settings
  public let outbox: Outbox
  private let log: @Sendable (String) -> Void
  private var handle: OpaquePointer?
  private let session: Mutex<BrokerSession>
  /// Frame decoded → PUBACK, per event acknowledged since the last `takeLatencies()`.
  private let latencies = Mutex(LatencySamples())
  /// Told each acknowledged event's decoded-to-PUBACK time as it happens (the daemon's metrics).
  private let onAcknowledged: @Sendable (Duration) -> Void
  /// Told each valid switch command (a published camera × rule, `ON` or `OFF`) before its state is retained.
  private let onSwitch: @Sendable (BrokerSession.Pair, Bool) -> Void
  /// Told each false-alarm command for a published camera: the camera and
  /// what was sent (`PRESS` or, it is hoped, an episode id; the daemon checks).
  private let onFalseAlarm: @Sendable (String, String) -> Void
  private let entitiesFile: String?
  /// Held while outbox messages are handed to libmosquitto, by `deliver` and
  /// by the connect callback's resend of the backlog, so events leave in
  /// outbox order: a new event published while the backlog was still being
  /// resent overtook older ones (an `end` before the episode's last `update`,
  /// seen by `scripts/soak-faults` after a restart).
  private let sendOrder = NSLock()
  /// Whether the last outbox write failed (for one log line per outage).
  private let diskFailing = Mutex(false)

  /// `entitiesFile`: where the set of published entities is kept between
  /// runs (in `state_dir`), so the first `setEntities` also removes those of
  /// rules deleted while the daemon was down; nil keeps it in memory only.
  public init(
    settings: Settings, outbox: Outbox, entitiesFile: String? = nil, log: @escaping @Sendable (String) -> Void,
    onAcknowledged: @escaping @Sendable (Duration) -> Void = { _ in },
    onSwitch: @escaping @Sendable (BrokerSession.Pair, Bool) -> Void = { _, _ in },
    onFalseAlarm: @escaping @Sendable (String, String) -> Void = { _, _ in }
  ) throws {
    self.onFalseAlarm = onFalseAlarm
    self.settings = settings
    self.onAcknowledged = onAcknowledged
    self.onSwitch = onSwitch
    self.outbox = outbox
    self.entitiesFile = entitiesFile
    self.log = log
    session = Mutex(BrokerSession(topics: settings.topics, previous: Self.loadEntities(entitiesFile, log: log)))
    for problem in outbox.problems { log("mqtt outbox: \(problem)") }
    MosquittoLibrary.initialize()
    handle = mosquitto_new(settings.clientID, true, nil)
    guard let handle else { throw OutboxError("mqtt: cannot create a client (out of memory or bad client id)") }
    mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
    let offline = Array("offline".utf8)
    _ = mosquitto_will_set(handle, settings.topics.available, Int32(offline.count), offline, 1, true)
    if let username = settings.username { _ = mosquitto_username_pw_set(handle, username, settings.password) }
    if let ca = settings.tlsCA {
      let result = mosquitto_tls_set(handle, ca, nil, settings.tlsCert, settings.tlsKey, nil)
      guard result == MOSQ_ERR_SUCCESS.rawValue else {
        throw OutboxError("mqtt TLS: \(String(cString: mosquitto_strerror(result))) (check tls_ca, tls_cert, tls_key)")
      }
    }
    mosquitto_connect_callback_set(handle, mqttOnConnect)
    mosquitto_disconnect_callback_set(handle, mqttOnDisconnect)
    mosquitto_publish_callback_set(handle, mqttOnPublish)
    mosquitto_message_callback_set(handle, mqttOnMessage)
    _ = mosquitto_reconnect_delay_set(handle, 1, 30, true)
    _ = mosquitto_max_inflight_messages_set(handle, 100)
  }

  deinit {
    if let handle {
      _ = mosquitto_loop_stop(handle, true)
      mosquitto_destroy(handle)
    }
  }

  private var brokerName: String { "mqtt \(settings.host):\(settings.port)" }

  /// Starts connecting in the background; a broker that is down is retried forever.
  public func start() {
    guard let handle else { return }
    let result = mosquitto_connect_async(handle, settings.host, Int32(settings.port), Int32(settings.keepalive))
    if result != MOSQ_ERR_SUCCESS.rawValue {
      log("\(brokerName): \(Self.describe(result)); retrying in the background, events wait in the outbox")
    }
    _ = mosquitto_loop_start(handle)
  }

  public var isConnected: Bool { session.withLock { $0.isConnected } }

  /// Decoded-frame-to-PUBACK latencies of events acknowledged since the last call.
  public func takeLatencies() -> LatencySamples { latencies.withLock { $0.take() } }

  /// Outbox first (fsync), then publish; retained state and snapshot follow.
  /// The snapshot also goes to the camera's Home Assistant `image` entity.
  /// An outbox that cannot be written delays nothing: the event is published
  /// all the same (see `Outbox.append`), and the failure is logged once per outage.
  public func deliver(_ event: AlertEvent) {
    let topics = settings.topics
    // An ended episode's clip update is its last word: kept like an `end`, never dropped as stale.
    let kind: OutboxPolicy.Kind = event.kind == .new ? .new : event.hasEnded ? .end : .update
    let appended = outbox.append(topic: topics.events, payload: Payloads.event(event), kind: kind)
    reportDisk(appended.failure, event: event.id)
    session.withLock {
      $0.accepted(sequence: appended.message.sequence, decodedAt: event.decodedAt)
      $0.forget(appended.dropped)
    }
    if !appended.dropped.isEmpty {
      log("mqtt outbox full: dropped \(appended.dropped.count) stale update(s) (\(outbox.dropped) so far)")
    }
    sendOrder.withLock { publish(appended.message) }
    let stateTopic = topics.state(camera: event.camera, rule: event.rule)
    retain(stateTopic, Data((event.hasEnded ? "OFF" : "ON").utf8))
    if let snapshot = event.snapshot {
      retain(topics.snapshot(camera: event.camera, rule: event.rule), Data(snapshot))
      retain(topics.cameraSnapshot(camera: event.camera), Data(snapshot))
    }
  }

  private static func loadEntities(_ file: String?, log: (String) -> Void) -> Set<Entity> {
    guard let file, let data = FileManager.default.contents(atPath: file) else { return [] }
    guard let entities = try? JSONDecoder().decode([Entity].self, from: data) else {
      log("mqtt: \(file) is damaged; entities of rules removed while stopped stay on the broker")
      return []
    }
    return Set(entities)
  }

  private func saveEntities(_ entities: Set<Entity>) {
    guard let entitiesFile else { return }
    let sorted = entities.sorted { ($0.camera, $0.rule) < ($1.camera, $1.rule) }
    do {
      try DurableFile.write(try JSONEncoder().encode(sorted), to: entitiesFile)
    } catch {
      log("mqtt: cannot save \(entitiesFile) (\(error)); a rule removed while stopped may leave its entity behind")
    }
  }

  /// One line when the outbox disk starts failing and one when it recovers.
  private func reportDisk(_ failure: OutboxError?, event: String) {
    let changed = diskFailing.withLock { failing in
      defer { failing = failure != nil }
      return failing != (failure != nil)
    }
    guard changed else { return }
    if let failure {
      log("mqtt outbox: \(failure); event \(event) and the next ones are published without being stored")
    } else {
      log("mqtt outbox: storing events again (\(outbox.unstored) were kept only in memory)")
    }
  }

  /// The camera × rule pairs that exist now, and those switched off:
  /// discovery for new ones, an empty retained config (Home Assistant removes
  /// the entity) for gone ones, switch states. The set is saved before
  /// anything is sent: a crash right after still knows what the broker may hold.
  public func setEntities(_ entities: Set<Entity>, switchedOff: Set<BrokerSession.Pair> = []) {
    saveEntities(entities)
    let messages = session.withLock { $0.setEntities(entities, switchedOff: switchedOff) }
    for message in messages { send(message.topic, message.payload, retain: true) }
  }

  /// Publishes a JSON stats message (not stored: the next one replaces it).
  public func publishStats(_ values: [String: Any]) {
    var values = values
    values["outbox_depth"] = outbox.count
    values["outbox_dropped"] = outbox.dropped
    values["outbox_unstored"] = outbox.unstored
    let payload = Payloads.stats(values)
    send(settings.topics.stats, payload, retain: false)
  }

  /// Graceful stop: wait up to `timeout` for the outbox to drain, publish
  /// `offline`, disconnect.
  public func stop(timeout: Double = 5) {
    guard let handle else { return }
    let deadline = Date().addingTimeInterval(timeout)
    while isConnected && outbox.count > 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    if isConnected {
      send(settings.topics.available, Data("offline".utf8), retain: true)
      Thread.sleep(forTimeInterval: 0.1)
      _ = mosquitto_disconnect(handle)
      _ = mosquitto_loop_stop(handle, false)
    } else {
      // Not connected: the network thread is retrying; stop it now (the outbox keeps the events).
      _ = mosquitto_loop_stop(handle, true)
    }
  }

  // MARK: Publishing

  /// Remembers a retained message (to re-send after reconnects) and sends it if connected.
  private func retain(_ topic: String, _ payload: Data) {
    if let message = session.withLock({ $0.retain(topic, payload) }) {
      send(message.topic, message.payload, retain: true)
    }
  }

  private func send(_ topic: String, _ payload: Data, retain: Bool) {
    guard let handle, isConnected else { return }
    _ = payload.withUnsafeBytes { bytes in
      mosquitto_publish(handle, nil, topic, Int32(bytes.count), bytes.baseAddress, Int32(settings.qos), retain)
    }
  }

  /// Publishes an outbox message, remembering its mid so PUBACK can remove it.
  /// An episode's start and end also go to the camera's Home Assistant `event`
  /// entity, made from the stored event each time it is sent: an automation
  /// on the entity misses nothing during a broker outage either.
  private func publish(_ message: Outbox.Message) {
    guard let handle else { return }
    // Under the lock, so the PUBACK callback cannot look the mid up before it is recorded.
    let sent = session.withLock { session -> Bool in
      guard session.shouldPublish(sequence: message.sequence) else { return false }
      var mid: Int32 = 0
      let result = message.payload.withUnsafeBytes { bytes in
        mosquitto_publish(
          handle, &mid, message.topic, Int32(bytes.count), bytes.baseAddress, Int32(settings.qos), false)
      }
      if result == MOSQ_ERR_SUCCESS.rawValue {
        session.published(mid: mid, sequence: message.sequence)
        return true
      } else if result != MOSQ_ERR_NO_CONN.rawValue {
        // Not a lost connection (that is retried): the broker library refused this message.
        log("\(brokerName): cannot publish to \(message.topic): \(Self.describe(result)); it stays in the outbox")
      }
      return false
    }
    if sent, message.topic == settings.topics.events, let entity = Payloads.cameraEvent(event: message.payload) {
      send(settings.topics.cameraEvent(camera: entity.camera), entity.payload, retain: false)
    }
  }

  // MARK: Callbacks (on libmosquitto's thread)

  fileprivate func connected(code: Int32) {
    guard code == 0 else {
      log("\(brokerName): broker refused the connection: \(String(cString: mosquitto_connack_string(code)))")
      return
    }
    sendOrder.withLock {
      let (messages, count) = session.withLock { ($0.connect(), $0.connections) }
      log("\(brokerName): connected\(count > 1 ? " again" : ""); \(outbox.count) event(s) waiting in the outbox")
      for message in messages { send(message.topic, message.payload, retain: true) }
      if let handle {
        _ = mosquitto_subscribe(handle, nil, Topics.homeAssistantStatus, 1)
        _ = mosquitto_subscribe(handle, nil, settings.topics.switchCommands, 1)
        _ = mosquitto_subscribe(handle, nil, settings.topics.falseAlarmCommands, 1)
      }
      for message in outbox.pending { publish(message) }
    }
  }

  fileprivate func disconnected(code: Int32) {
    let flapping = session.withLock { $0.disconnect() }
    if code != 0 {
      log("\(brokerName): connection lost (\(Self.describe(code))); reconnecting, events wait in the outbox")
    }
    if flapping {
      log(
        "\(brokerName): the broker keeps dropping this connection right after it is made: another client "
          + "probably uses the client id '\(settings.clientID)' (two daemons with the same node name? "
          + "set node or [mqtt] client_id)")
    }
  }

  fileprivate func acknowledged(mid: Int32) {
    guard let (sequence, decodedAt) = session.withLock({ $0.acknowledged(mid: mid) }) else { return }
    outbox.remove(sequence)
    if let decodedAt {
      let elapsed = ContinuousClock.now - decodedAt
      latencies.withLock { $0.add(elapsed) }
      onAcknowledged(elapsed)
    }
  }

  fileprivate func received(topic: String, payload: Data) {
    if topic == Topics.homeAssistantStatus {
      guard String(decoding: payload, as: UTF8.self) == "online" else { return }
      for message in session.withLock({ $0.homeAssistantOnline() }) {
        send(message.topic, message.payload, retain: true)
      }
    } else if let target = settings.topics.switchTarget(topic) {
      switchCommand(topic: topic, pair: .init(camera: target.camera, rule: target.rule), payload: payload)
    } else if let camera = settings.topics.falseAlarmTarget(topic) {
      guard session.withLock({ $0.publishes(camera: camera) }) else {
        log("mqtt \(topic): no camera '\(camera)' with rules; ignored")
        return
      }
      onFalseAlarm(camera, Self.printable(payload))
    }
  }

  /// A switch command from anyone on the broker: anything but `ON`/`OFF` for a
  /// published camera × rule is one log line and changes nothing.
  private func switchCommand(topic: String, pair: BrokerSession.Pair, payload: Data) {
    // Compared as bytes: a payload of any size is never decoded whole.
    let on = payload.elementsEqual("ON".utf8)
    guard on || payload.elementsEqual("OFF".utf8) else {
      log("mqtt \(topic): expected ON or OFF, got '\(Self.printable(payload))'; ignored")
      return
    }
    guard session.withLock({ $0.publishes(pair) }) else {
      log("mqtt \(topic): no rule '\(pair.rule)' on camera '\(pair.camera)' (see monitor rules); ignored")
      return
    }
    onSwitch(pair, on)
    if let message = session.withLock({ $0.setSwitch(pair, on: on) }) {
      send(message.topic, message.payload, retain: true)
    }
  }

  /// A payload fit for one log line: at most 64 bytes, control characters as spaces.
  static func printable(_ payload: Data) -> String {
    let text = String(decoding: payload.prefix(64), as: UTF8.self)
    let shown = text.unicodeScalars.map { $0.properties.isWhitespace || $0.value < 0x20 ? " " : String($0) }.joined()
    return shown + (payload.count > 64 ? "…" : "")
  }

  static func describe(_ code: Int32) -> String {
    if code == MOSQ_ERR_ERRNO.rawValue { return String(cString: strerror(errno)) }
    return String(cString: mosquitto_strerror(code))
  }
}

enum MosquittoLibrary {
  static let initialized: Bool = {
    mosquitto_lib_init()
    return true
  }()
  static func initialize() { _ = initialized }
}

// Free, nonisolated C callbacks (a main-actor closure would trap on libmosquitto's thread).
private func publisher(_ userdata: UnsafeMutableRawPointer?) -> MQTTPublisher? {
  userdata.map { Unmanaged<MQTTPublisher>.fromOpaque($0).takeUnretainedValue() }
}
private func mqttOnConnect(_: OpaquePointer?, _ userdata: UnsafeMutableRawPointer?, _ code: Int32) {
  publisher(userdata)?.connected(code: code)
}
private func mqttOnDisconnect(_: OpaquePointer?, _ userdata: UnsafeMutableRawPointer?, _ code: Int32) {
  publisher(userdata)?.disconnected(code: code)
}
private func mqttOnPublish(_: OpaquePointer?, _ userdata: UnsafeMutableRawPointer?, _ mid: Int32) {
  publisher(userdata)?.acknowledged(mid: mid)
}
private func mqttOnMessage(
  _: OpaquePointer?, _ userdata: UnsafeMutableRawPointer?, _ message: UnsafePointer<mosquitto_message>?
) {
  guard let message, let topic = message.pointee.topic else { return }
  let payload = Data(
    bytes: message.pointee.payload ?? UnsafeMutableRawPointer(bitPattern: 1)!, count: Int(message.pointee.payloadlen))
  publisher(userdata)?.received(topic: String(cString: topic), payload: payload)
}
