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

  public struct Entity: Sendable, Hashable {
    public var camera: String
    public var rule: String
    public var label: String
    public init(camera: String, rule: String, label: String) {
      self.camera = camera
      self.rule = rule
      self.label = label
    }
  }

  private struct State {
    var connected = false
    var inflight: [Int32: UInt64] = [:]
    var retained: [String: Data] = [:]
    var entities: Set<Entity> = []
    var connections = 0
  }

  public let settings: Settings
  public let outbox: Outbox
  private let log: @Sendable (String) -> Void
  private var handle: OpaquePointer?
  private let state = Mutex(State())

  public init(settings: Settings, outbox: Outbox, log: @escaping @Sendable (String) -> Void) throws {
    self.settings = settings
    self.outbox = outbox
    self.log = log
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

  public var isConnected: Bool { state.withLock { $0.connected } }

  /// Outbox first (fsync), then publish; retained state and snapshot follow.
  public func deliver(_ event: AlertEvent) {
    let topics = settings.topics
    do {
      let kind: OutboxPolicy.Kind = event.kind == .new ? .new : event.kind == .end ? .end : .update
      let (message, dropped) = try outbox.append(topic: topics.events, payload: Payloads.event(event), kind: kind)
      if !dropped.isEmpty {
        log("mqtt outbox full: dropped \(dropped.count) stale update(s) (\(outbox.dropped) so far)")
      }
      publish(message)
    } catch {
      log("mqtt outbox: \(error); event \(event.id) not stored")
    }
    let stateTopic = topics.state(camera: event.camera, rule: event.rule)
    retain(stateTopic, Data((event.kind == .end ? "OFF" : "ON").utf8))
    if let snapshot = event.snapshot {
      retain(topics.snapshot(camera: event.camera, rule: event.rule), Data(snapshot))
    }
  }

  /// The camera × rule pairs that exist now: discovery for new ones, an empty
  /// retained config (Home Assistant removes the entity) for gone ones.
  public func setEntities(_ entities: Set<Entity>) {
    let (added, removed) = state.withLock { state -> (Set<Entity>, Set<Entity>) in
      let added = entities.subtracting(state.entities)
      let removed = state.entities.subtracting(entities)
      state.entities = entities
      return (added, removed)
    }
    for entity in added { retain(discoveryTopic(entity), discoveryPayload(entity)) }
    for entity in removed {
      retain(discoveryTopic(entity), Data())
      retain(settings.topics.state(camera: entity.camera, rule: entity.rule), Data("OFF".utf8))
    }
  }

  /// Publishes a JSON stats message (not stored: the next one replaces it).
  public func publishStats(_ values: [String: Any]) {
    var values = values
    values["outbox_depth"] = outbox.count
    values["outbox_dropped"] = outbox.dropped
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

  private func discoveryTopic(_ e: Entity) -> String { settings.topics.discovery(camera: e.camera, rule: e.rule) }
  private func discoveryPayload(_ e: Entity) -> Data {
    Payloads.discovery(topics: settings.topics, camera: e.camera, rule: e.rule, label: e.label)
  }

  /// Remembers a retained message (to re-send after reconnects) and sends it if connected.
  private func retain(_ topic: String, _ payload: Data) {
    state.withLock { $0.retained[topic] = payload }
    send(topic, payload, retain: true)
  }

  private func send(_ topic: String, _ payload: Data, retain: Bool) {
    guard let handle, isConnected else { return }
    _ = payload.withUnsafeBytes { bytes in
      mosquitto_publish(handle, nil, topic, Int32(bytes.count), bytes.baseAddress, Int32(settings.qos), retain)
    }
  }

  /// Publishes an outbox message, remembering its mid so PUBACK can remove it.
  private func publish(_ message: Outbox.Message) {
    guard let handle else { return }
    state.withLock { state in
      guard state.connected, !state.inflight.values.contains(message.sequence) else { return }
      var mid: Int32 = 0
      let result = message.payload.withUnsafeBytes { bytes in
        mosquitto_publish(
          handle, &mid, message.topic, Int32(bytes.count), bytes.baseAddress, Int32(settings.qos), false)
      }
      if result == MOSQ_ERR_SUCCESS.rawValue { state.inflight[mid] = message.sequence }
    }
  }

  // MARK: Callbacks (on libmosquitto's thread)

  fileprivate func connected(code: Int32) {
    guard code == 0 else {
      log("\(brokerName): broker refused the connection: \(String(cString: mosquitto_connack_string(code)))")
      return
    }
    let (retained, count) = state.withLock { state -> ([String: Data], Int) in
      state.connected = true
      state.inflight = [:]
      state.connections += 1
      return (state.retained, state.connections)
    }
    log("\(brokerName): connected\(count > 1 ? " again" : ""); \(outbox.count) event(s) waiting in the outbox")
    send(settings.topics.available, Data("online".utf8), retain: true)
    for (topic, payload) in retained.sorted(by: { $0.key < $1.key }) { send(topic, payload, retain: true) }
    if let handle { _ = mosquitto_subscribe(handle, nil, Topics.homeAssistantStatus, 1) }
    for message in outbox.pending { publish(message) }
  }

  fileprivate func disconnected(code: Int32) {
    state.withLock {
      $0.connected = false
      $0.inflight = [:]
    }
    if code != 0 {
      log("\(brokerName): connection lost (\(Self.describe(code))); reconnecting, events wait in the outbox")
    }
  }

  fileprivate func acknowledged(mid: Int32) {
    let sequence = state.withLock { $0.inflight.removeValue(forKey: mid) }
    if let sequence { outbox.remove(sequence) }
  }

  fileprivate func received(topic: String, payload: Data) {
    guard topic == Topics.homeAssistantStatus, String(decoding: payload, as: UTF8.self) == "online" else { return }
    let entities = state.withLock { $0.entities }
    for entity in entities { send(discoveryTopic(entity), discoveryPayload(entity), retain: true) }
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
