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

  /// The camera × rule pairs that exist now. A pair that is gone (or was
  /// published by a previous run and is not named now) gets an empty retained
  /// discovery config (Home Assistant removes the entity), state and snapshot
  /// (an empty retained payload deletes the retained message, so nothing of
  /// the rule outlives it). A new pair gets discovery and a retained `OFF`; a
  /// pair whose label changed gets discovery only (an open episode stays ON).
  /// Removals go first: they never clear a topic an addition just set.
  /// Returns what to send now.
  public mutating func setEntities(_ new: Set<Entity>) -> [Retained] {
    let newKeys = Set(new.map(Self.key))
    let oldKeys = Set(entities.map(Self.key))
    let removedKeys = Set(entities.union(previous).map(Self.key)).subtracting(newKeys)
    let added = new.subtracting(entities)
    entities = new
    previous = []
    var messages: [Retained?] = []
    for key in removedKeys.sorted() {
      let (camera, rule) = (key.camera, key.rule)
      messages.append(retain(topics.discovery(camera: camera, rule: rule), Data()))
      messages.append(retain(topics.state(camera: camera, rule: rule), Data()))
      messages.append(retain(topics.snapshot(camera: camera, rule: rule), Data()))
    }
    for entity in added.sorted(by: Self.order) {
      messages.append(retain(discoveryTopic(entity), discoveryPayload(entity)))
      // A known state from the start: Home Assistant shows `unknown` until a
      // state is retained, and an episode left ON by a crash is turned off.
      if !oldKeys.contains(Self.key(entity)) {
        messages.append(retain(topics.state(camera: entity.camera, rule: entity.rule), Data("OFF".utf8)))
      }
    }
    return messages.compactMap { $0 }
  }

  /// `homeassistant/status` said `online`: Home Assistant restarted and needs discovery again.
  public func homeAssistantOnline() -> [Retained] {
    guard isConnected else { return [] }
    return entities.sorted(by: Self.order).map { Retained(topic: discoveryTopic($0), payload: discoveryPayload($0)) }
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

  private func discoveryTopic(_ e: Entity) -> String { topics.discovery(camera: e.camera, rule: e.rule) }
  private func discoveryPayload(_ e: Entity) -> Data {
    Payloads.discovery(topics: topics, camera: e.camera, rule: e.rule, label: e.label)
  }
  private static func order(_ a: Entity, _ b: Entity) -> Bool { (a.camera, a.rule) < (b.camera, b.rule) }
  private static func key(_ e: Entity) -> Key { Key(camera: e.camera, rule: e.rule) }
  /// An entity's identity on the broker (its topics): camera and rule, not the label.
  private struct Key: Hashable, Comparable {
    var camera: String
    var rule: String
    static func < (a: Key, b: Key) -> Bool { (a.camera, a.rule) < (b.camera, b.rule) }
  }
}
