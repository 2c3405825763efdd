import Core
import Foundation

/// What the publisher owes the broker, as a pure state machine the
/// libmosquitto callbacks drive: which retained messages (availability,
/// discovery, ON/OFF states, snapshots) to re-send after every (re)connect,
/// which outbox messages are in flight under which message id, and what a
/// Home Assistant restart or a removed rule requires. It sends nothing itself:
/// every transition returns the messages to send, so it is tested without a
/// broker.
public struct BrokerSession: Sendable {
  public struct Entity: Sendable, Hashable, Codable {
    public var camera: String
    public var rule: String
    public var label: String
    public init(camera: String, rule: String, label: String) {
      self.camera = camera
      self.rule = rule
      self.label = label
    }
  }

  /// A camera × rule: an entity's identity on the broker (its topics), whatever its label.
  public struct Pair: Sendable, Hashable, Comparable, Codable {
    public var camera: String
    public var rule: String
    public init(camera: String, rule: String) {
      self.camera = camera
      self.rule = rule
    }
    public static func < (a: Pair, b: Pair) -> Bool { (a.camera, a.rule) < (b.camera, b.rule) }
  }

  /// A retained message to send.
  public struct Retained: Sendable, Equatable {
    public var topic: String
    public var payload: Data
  }

  public let topics: Topics
  public private(set) var isConnected = false
  /// Successful connections so far (more than one: reconnected).
  public private(set) var connections = 0
  public private(set) var entities: Set<Entity> = []
  /// The pairs whose switch is off (their rule raises nothing on that camera).
  public private(set) var switchedOff: Set<Pair> = []
  /// Entities a previous run published (persisted by the publisher): those
  /// the first `setEntities` does not name again are removed from the broker,
  /// so a rule deleted while the daemon was down leaves no orphan entity.
  private var previous: Set<Entity>
  private var retained: [String: Data] = [:]
  private var inflight: [Int32: UInt64] = [:]
  /// Decode instants of events accepted in this process, by outbox sequence.
  private var decodedAt: [UInt64: ContinuousClock.Instant] = [:]

  public init(topics: Topics, previous: Set<Entity> = []) {
    self.topics = topics
    self.previous = previous
  }

  /// Connected: availability first, then every retained message (by topic).
  /// Nothing is in flight on a new connection: the outbox is sent again.
  public mutating func connect(at now: ContinuousClock.Instant = .now) -> [Retained] {
    isConnected = true
    connectedAt = now
    connections += 1
    inflight = [:]
    return [Retained(topic: topics.available, payload: Data("online".utf8))]
      + retained.sorted { $0.key < $1.key }.map { Retained(topic: $0.key, payload: $0.value) }
  }

  /// Connection lost: whatever was in flight will be sent again. Returns
  /// true once when the broker has dropped the last `flapLimit` connections
  /// each within `flapSeconds` of connecting: what another client with the
  /// same client id causes (each connection takes the other's over), e.g. two
  /// daemons with the same node name on cloned machines.
  public mutating func disconnect(at now: ContinuousClock.Instant = .now) -> Bool {
    isConnected = false
    inflight = [:]
    let quick = connectedAt.map { now - $0 < .seconds(Self.flapSeconds) } ?? false
    quickDrops = quick ? quickDrops + 1 : 0
    connectedAt = nil
    return quickDrops == Self.flapLimit
  }

  static let flapLimit = 3
  static let flapSeconds = 5
  private var connectedAt: ContinuousClock.Instant?
  private var quickDrops = 0

  /// Remembers a retained message; returns it when it should be sent now.
  public mutating func retain(_ topic: String, _ payload: Data) -> Retained? {
    retained[topic] = payload
    return isConnected ? Retained(topic: topic, payload: payload) : nil
  }

  /// The camera × rule pairs that exist now, and those switched off. A pair
  /// that is gone (or was published by a previous run and is not named now)
  /// gets an empty retained discovery config for its binary sensor and switch
  /// (Home Assistant removes the entities), state, switch state and snapshot
  /// (an empty retained payload deletes the retained message, so nothing of
  /// the rule outlives it); a camera left with no pair loses its event and
  /// image entities the same way. A new pair gets discovery and a retained
  /// `OFF`; a pair whose label changed gets discovery only (an open episode
  /// stays ON). Every pair's switch state is retained when it changes.
  /// Removals go first: they never clear a topic an addition just set.
  /// Returns what to send now.
  public mutating func setEntities(_ new: Set<Entity>, switchedOff: Set<Pair> = []) -> [Retained] {
    let newKeys = Set(new.map(\.pair))
    let oldKeys = Set(entities.map(\.pair))
    let removedKeys = Set(entities.union(previous).map(\.pair)).subtracting(newKeys)
    let newCameras = Set(newKeys.map(\.camera))
    let removedCameras = Set(entities.union(previous).map(\.camera)).subtracting(newCameras)
    let addedCameras = newCameras.subtracting(entities.map(\.camera))
    let added = new.subtracting(entities)
    let oldOff = self.switchedOff
    entities = new
    self.switchedOff = switchedOff.intersection(newKeys)
    previous = []
    var messages: [Retained?] = []
    for key in removedKeys.sorted() {
      let (camera, rule) = (key.camera, key.rule)
      for topic in [
        topics.discovery(camera: camera, rule: rule), topics.discovery("switch", object: "\(camera)_\(rule)"),
        topics.state(camera: camera, rule: rule), topics.switchState(camera: camera, rule: rule),
        topics.snapshot(camera: camera, rule: rule),
      ] {
        messages.append(retain(topic, Data()))
      }
    }
    for camera in removedCameras.sorted() {
      for topic in cameraDiscovery(camera).map(\.topic) + [topics.cameraSnapshot(camera: camera)] {
        messages.append(retain(topic, Data()))
      }
    }
    for camera in addedCameras.sorted() {
      messages += cameraDiscovery(camera).map { retain($0.topic, $0.payload) }
    }
    for entity in added.sorted(by: Self.order) {
      messages += pairDiscovery(entity).map { retain($0.topic, $0.payload) }
      // A known state from the start: Home Assistant shows `unknown` until a
      // state is retained, and an episode left ON by a crash is turned off.
      if !oldKeys.contains(entity.pair) {
        messages.append(retain(topics.state(camera: entity.camera, rule: entity.rule), Data("OFF".utf8)))
      }
    }
    for key in newKeys.sorted()
    where !oldKeys.contains(key) || oldOff.contains(key) != self.switchedOff.contains(key) {
      messages.append(switchState(key))
    }
    return messages.compactMap { $0 }
  }

  /// A rule switched on or off for a camera: its retained switch state, or
  /// nil when the pair is not an entity (or not connected).
  public mutating func setSwitch(_ pair: Pair, on: Bool) -> Retained? {
    guard entities.contains(where: { $0.pair == pair }) else { return nil }
    if on { switchedOff.remove(pair) } else { switchedOff.insert(pair) }
    return switchState(pair)
  }

  /// Whether `camera` has entities published now.
  public func publishes(camera: String) -> Bool { entities.contains { $0.camera == camera } }

  /// Whether `pair` is one of the entities published now.
  public func publishes(_ pair: Pair) -> Bool { entities.contains { $0.pair == pair } }

  /// `homeassistant/status` said `online`: Home Assistant restarted and needs discovery again.
  public func homeAssistantOnline() -> [Retained] {
    guard isConnected else { return [] }
    let cameras = Set(entities.map(\.camera)).sorted()
    return cameras.flatMap(cameraDiscovery) + entities.sorted(by: Self.order).flatMap(pairDiscovery)
  }

  /// An event entered the outbox (for its frame-to-PUBACK latency).
  public mutating func accepted(sequence: UInt64, decodedAt instant: ContinuousClock.Instant?) {
    if let instant { decodedAt[sequence] = instant }
  }

  /// The outbox dropped these (capacity policy): they will never be acknowledged.
  public mutating func forget(_ sequences: [UInt64]) {
    for sequence in sequences { decodedAt[sequence] = nil }
  }

  /// Whether to publish this outbox message now (connected, not already in flight).
  public func shouldPublish(sequence: UInt64) -> Bool {
    isConnected && !inflight.values.contains(sequence)
  }

  public mutating func published(mid: Int32, sequence: UInt64) { inflight[mid] = sequence }

  /// PUBACK: the outbox sequence to remove and, for events of this process,
  /// when their frame was decoded. nil for ids not in flight (retained
  /// messages, or acknowledgements from before a reconnect).
  public mutating func acknowledged(mid: Int32) -> (sequence: UInt64, decodedAt: ContinuousClock.Instant?)? {
    guard let sequence = inflight.removeValue(forKey: mid) else { return nil }
    return (sequence, decodedAt.removeValue(forKey: sequence))
  }

  private mutating func switchState(_ pair: Pair) -> Retained? {
    retain(
      topics.switchState(camera: pair.camera, rule: pair.rule), Data((switchedOff.contains(pair) ? "OFF" : "ON").utf8))
  }
  /// The binary sensor and the switch of one camera × rule.
  private func pairDiscovery(_ e: Entity) -> [Retained] {
    [
      Retained(
        topic: topics.discovery(camera: e.camera, rule: e.rule),
        payload: Payloads.discovery(topics: topics, camera: e.camera, rule: e.rule, label: e.label)),
      Retained(
        topic: topics.discovery("switch", object: "\(e.camera)_\(e.rule)"),
        payload: Payloads.switchDiscovery(topics: topics, camera: e.camera, rule: e.rule, label: e.label)),
    ]
  }
  /// The event and image entities of one camera.
  private func cameraDiscovery(_ camera: String) -> [Retained] {
    [
      Retained(
        topic: topics.discovery("event", object: "\(camera)_episodes"),
        payload: Payloads.cameraEventDiscovery(topics: topics, camera: camera)),
      Retained(
        topic: topics.discovery("image", object: "\(camera)_snapshot"),
        payload: Payloads.cameraImageDiscovery(topics: topics, camera: camera)),
      Retained(
        topic: topics.discovery("button", object: "\(camera)_false_alarm"),
        payload: Payloads.falseAlarmButtonDiscovery(topics: topics, camera: camera)),
    ]
  }
  private static func order(_ a: Entity, _ b: Entity) -> Bool { (a.camera, a.rule) < (b.camera, b.rule) }
}

extension BrokerSession.Entity {
  /// The entity's identity on the broker (its topics): camera and rule, not the label.
  public var pair: BrokerSession.Pair { .init(camera: camera, rule: rule) }
}
