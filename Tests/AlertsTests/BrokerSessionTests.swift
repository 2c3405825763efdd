import Alerts
import Foundation
import Testing

@Suite struct BrokerSessionTests {
  let topics = Topics(prefix: "monitor", node: "edge")
  let hall = BrokerSession.Entity(camera: "hall", rule: "falls", label: "person falls")
  let yard = BrokerSession.Entity(camera: "yard", rule: "car", label: "car arrives")

  func text(_ messages: [BrokerSession.Retained]) -> [String] {
    messages.map { "\($0.topic)=\(String(decoding: $0.payload, as: UTF8.self).prefix(3))" }
  }

  @Test func everyReconnectRepublishesAvailabilityFirstThenEveryRetainedMessage() {
    var session = BrokerSession(topics: topics)
    // Offline: nothing is sent, everything is remembered.
    #expect(session.setEntities([hall]).isEmpty)
    #expect(session.retain(topics.state(camera: "hall", rule: "falls"), Data("ON".utf8)) == nil)
    let first = text(session.connect())  // the retained ON replaced the OFF every new entity starts with
    #expect(
      first == [
        "monitor/edge/available=onl", "homeassistant/binary_sensor/edge_hall_falls/config={\"a",
        "homeassistant/button/edge_hall_false_alarm/config={\"a", "homeassistant/event/edge_hall_episodes/config={\"a",
        "homeassistant/image/edge_hall_snapshot/config={\"a",
        "homeassistant/switch/edge_hall_falls/config={\"a", "monitor/edge/hall/falls/state=ON",
        "monitor/edge/hall/falls/switch=ON",
      ])
    // Connected: a change goes out at once, and is part of the next reconnect.
    #expect(
      text([session.retain(topics.state(camera: "hall", rule: "falls"), Data("OFF".utf8))!]) == [
        "monitor/edge/hall/falls/state=OFF"
      ])
    _ = session.disconnect()
    #expect(!session.isConnected)
    let second = text(session.connect())
    #expect(second.first == "monitor/edge/available=onl")
    #expect(
      second.contains("monitor/edge/hall/falls/state=OFF") && !second.contains("monitor/edge/hall/falls/state=ON"))
    #expect(session.connections == 2)
  }

  /// L1: the state (`OFF`) and the snapshot JPEG of a removed rule stayed retained forever.
  /// A camera left without rules loses its event and image entities too.
  @Test func l1RemovedRuleClearsItsDiscoveryStateAndSnapshotAndNothingElse() {
    var session = BrokerSession(topics: topics)
    _ = session.connect()
    let hallSmoke = BrokerSession.Entity(camera: "hall", rule: "smoke", label: "smoke")
    // Per camera: event, image, button; per pair: binary sensor, switch, OFF, switch ON.
    #expect(session.setEntities([hall, hallSmoke, yard]).count == 2 * 3 + 3 * 4)
    #expect(
      text(session.setEntities([hallSmoke, yard])) == [
        "homeassistant/binary_sensor/edge_hall_falls/config=", "homeassistant/switch/edge_hall_falls/config=",
        "monitor/edge/hall/falls/state=", "monitor/edge/hall/falls/switch=", "monitor/edge/hall/falls/snapshot=",
      ])
    let removal = session.setEntities([yard])
    #expect(
      text(removal) == [
        "homeassistant/binary_sensor/edge_hall_smoke/config=", "homeassistant/switch/edge_hall_smoke/config=",
        "monitor/edge/hall/smoke/state=", "monitor/edge/hall/smoke/switch=", "monitor/edge/hall/smoke/snapshot=",
        "homeassistant/event/edge_hall_episodes/config=", "homeassistant/image/edge_hall_snapshot/config=",
        "homeassistant/button/edge_hall_false_alarm/config=", "monitor/edge/hall/snapshot=",
      ])
    #expect(session.setEntities([yard]).isEmpty)  // no change, nothing sent
    // The empty config stays retained, so a reconnect keeps the entity removed.
    #expect(text(session.connect()).contains("homeassistant/binary_sensor/edge_hall_falls/config="))
  }

  /// M7: no state was retained before a rule's first episode (Home Assistant
  /// showed 8 of 12 sensors `unknown`), and an episode left ON by a crash
  /// stayed ON until the rule fired again.
  @Test func m7EveryNewEntityStartsWithARetainedOff() {
    var session = BrokerSession(topics: topics)
    _ = session.connect()
    #expect(
      text(session.setEntities([hall, yard])).filter { $0.hasPrefix("homeassistant/binary") || $0.contains("/state=") }
        == [
          "homeassistant/binary_sensor/edge_hall_falls/config={\"a", "monitor/edge/hall/falls/state=OFF",
          "homeassistant/binary_sensor/edge_yard_car/config={\"a", "monitor/edge/yard/car/state=OFF",
        ])
  }

  /// M7 (and L1): a rule removed while the daemon was down kept its
  /// discovery config, state and snapshot retained: an orphan entity.
  @Test func m7EntitiesOfAPreviousRunThatAreGoneAreClearedAtStart() {
    var session = BrokerSession(topics: topics, previous: [hall, yard])
    _ = session.connect()
    #expect(
      text(session.setEntities([yard])) == [
        "homeassistant/binary_sensor/edge_hall_falls/config=", "homeassistant/switch/edge_hall_falls/config=",
        "monitor/edge/hall/falls/state=", "monitor/edge/hall/falls/switch=", "monitor/edge/hall/falls/snapshot=",
        "homeassistant/event/edge_hall_episodes/config=", "homeassistant/image/edge_hall_snapshot/config=",
        "homeassistant/button/edge_hall_false_alarm/config=", "monitor/edge/hall/snapshot=",
        "homeassistant/event/edge_yard_episodes/config={\"a",
        "homeassistant/image/edge_yard_snapshot/config={\"a", "homeassistant/button/edge_yard_false_alarm/config={\"a",
        "homeassistant/binary_sensor/edge_yard_car/config={\"a",
        "homeassistant/switch/edge_yard_car/config={\"a", "monitor/edge/yard/car/state=OFF",
        "monitor/edge/yard/car/switch=ON",
      ])
    // Only the first set: later ones compare with what this run published.
    #expect(session.setEntities([yard]).isEmpty)
  }

  /// Editing a rule's text (its label) re-sends discovery and keeps the entity:
  /// removal used to follow the addition on the same topics, deleting it.
  @Test func aChangedLabelKeepsTheEntityAndItsState() {
    var session = BrokerSession(topics: topics)
    _ = session.connect()
    _ = session.setEntities([hall])
    var renamed = hall
    renamed.label = "someone falls"
    let messages = session.setEntities([renamed])
    #expect(
      text(messages) == [
        "homeassistant/binary_sensor/edge_hall_falls/config={\"a", "homeassistant/switch/edge_hall_falls/config={\"a",
      ])
    #expect(messages.allSatisfy { String(decoding: $0.payload, as: UTF8.self).contains("hall someone falls") })
  }

  @Test func homeAssistantRestartGetsDiscoveryOnlyWhileConnected() {
    var session = BrokerSession(topics: topics)
    _ = session.setEntities([yard, hall])
    #expect(session.homeAssistantOnline().isEmpty)
    _ = session.connect()
    #expect(
      session.homeAssistantOnline().map(\.topic) == [
        "homeassistant/event/edge_hall_episodes/config", "homeassistant/image/edge_hall_snapshot/config",
        "homeassistant/button/edge_hall_false_alarm/config", "homeassistant/event/edge_yard_episodes/config",
        "homeassistant/image/edge_yard_snapshot/config", "homeassistant/button/edge_yard_false_alarm/config",
        "homeassistant/binary_sensor/edge_hall_falls/config", "homeassistant/switch/edge_hall_falls/config",
        "homeassistant/binary_sensor/edge_yard_car/config", "homeassistant/switch/edge_yard_car/config",
      ])
  }

  /// Issue 20: a rule switched off for a camera keeps its entities; its switch
  /// state is retained OFF, and only pairs whose switch changed are sent again.
  @Test func switchStatesAreRetainedAndOnlyChangesAreSent() {
    var session = BrokerSession(topics: topics)
    _ = session.connect()
    let off: Set<BrokerSession.Pair> = [hall.pair]
    let first = text(session.setEntities([hall, yard], switchedOff: off))
    #expect(first.contains("monitor/edge/hall/falls/switch=OFF") && first.contains("monitor/edge/yard/car/switch=ON"))
    #expect(session.switchedOff == off)
    #expect(session.setEntities([hall, yard], switchedOff: off).isEmpty)
    #expect(text(session.setEntities([hall, yard])) == ["monitor/edge/hall/falls/switch=ON"])
    // A command: the new state is retained (and part of every reconnect).
    #expect(text([session.setSwitch(yard.pair, on: false)!]) == ["monitor/edge/yard/car/switch=OFF"])
    #expect(session.setSwitch(.init(camera: "yard", rule: "gone"), on: false) == nil)
    #expect(!session.publishes(.init(camera: "yard", rule: "gone")))
    _ = session.disconnect()
    #expect(text(session.connect()).contains("monitor/edge/yard/car/switch=OFF"))
  }

  /// Issue 20: only `<base>/<camera>/<rule>/set` is a switch command.
  @Test func switchCommandTopics() {
    #expect(topics.switchTarget("monitor/edge/hall/falls/set")! == ("hall", "falls"))
    for topic in [
      "monitor/edge/hall/set", "monitor/edge/hall/falls/state", "monitor/edge/hall/falls/x/set",
      "monitor/other/hall/falls/set", "monitor/edge//falls/set", "monitor/edge/hall//set", "monitor/edgex/h/f/set",
    ] {
      #expect(topics.switchTarget(topic) == nil, "\(topic)")
    }
    #expect(Topics(prefix: "", node: "edge").switchTarget("edge/hall/falls/set")! == ("hall", "falls"))
    #expect(topics.falseAlarmTarget("monitor/edge/hall/false_alarm") == "hall")
    for topic in ["monitor/edge/false_alarm", "monitor/edge//false_alarm", "monitor/edge/hall/x/false_alarm"] {
      #expect(topics.falseAlarmTarget(topic) == nil, "\(topic)")
    }
  }

  @Test func inflightMessagesAreForgottenOnDisconnectAndSentAgain() {
    var session = BrokerSession(topics: topics)
    #expect(!session.shouldPublish(sequence: 1))  // offline: the outbox keeps it
    _ = session.connect()
    let decoded = ContinuousClock.now
    session.accepted(sequence: 1, decodedAt: decoded)
    session.accepted(sequence: 2, decodedAt: nil)
    #expect(session.shouldPublish(sequence: 1))
    session.published(mid: 7, sequence: 1)
    #expect(!session.shouldPublish(sequence: 1))  // not twice while in flight
    _ = session.disconnect()
    _ = session.connect()
    #expect(session.shouldPublish(sequence: 1))  // PUBACK never came: send again
    #expect(session.acknowledged(mid: 7) == nil)  // an id from before the reconnect
    session.published(mid: 3, sequence: 1)
    session.published(mid: 4, sequence: 2)
    let first = session.acknowledged(mid: 3)
    #expect(first?.sequence == 1 && first?.decodedAt == decoded)
    let second = session.acknowledged(mid: 4)
    #expect(second?.sequence == 2 && second?.decodedAt == nil)  // restored from disk: no latency
    #expect(session.acknowledged(mid: 3) == nil)
  }

  @Test func droppedMessagesLeaveNoLatencyBehind() {
    var session = BrokerSession(topics: topics)
    _ = session.connect()
    session.accepted(sequence: 5, decodedAt: .now)
    session.forget([5])
    session.published(mid: 1, sequence: 5)
    #expect(session.acknowledged(mid: 1)?.decodedAt == nil)
  }

  /// L12: two daemons with the same node share a client id and take each
  /// other's connection over every second or two, forever and silently.
  @Test func l12ConnectionsDroppedRightAfterConnectingAreReportedOnce() {
    var session = BrokerSession(topics: topics)
    let start = ContinuousClock.now
    var reports: [Bool] = []
    for i in 0..<6 {
      let t = start + .seconds(2 * i)
      _ = session.connect(at: t)
      reports.append(session.disconnect(at: t + .seconds(1)))
    }
    #expect(reports == [false, false, true, false, false, false])
    // A connection that lasted is not flapping: the count starts over.
    _ = session.connect(at: start + .seconds(100))
    var later = [session.disconnect(at: start + .seconds(200))]
    for i in 0..<2 {
      _ = session.connect(at: start + .seconds(300 + i))
      later.append(session.disconnect(at: start + .seconds(300 + i)))
    }
    #expect(later == [false, false, false])
  }
}
