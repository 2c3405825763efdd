/// MQTT topic names (README.md, "MQTT"), in the shape Frigate users automate against.
public struct Topics: Sendable, Equatable {
  /// `<prefix>/<node>`
  public let base: String
  public let node: String

  public init(prefix: String, node: String) {
    base = prefix.isEmpty ? node : "\(prefix)/\(node)"
    self.node = node
  }

  /// Retained `online`/`offline`; the broker publishes `offline` as our last will.
  public var available: String { "\(base)/available" }
  public var events: String { "\(base)/events" }
  public var stats: String { "\(base)/stats" }
  /// Retained `ON`/`OFF`: whether an episode is open.
  public func state(camera: String, rule: String) -> String { "\(base)/\(camera)/\(rule)/state" }
  /// Retained JPEG of the episode's best frame.
  public func snapshot(camera: String, rule: String) -> String { "\(base)/\(camera)/\(rule)/snapshot" }
  /// Retained `ON`/`OFF`: whether the rule is switched on for the camera.
  public func switchState(camera: String, rule: String) -> String { "\(base)/\(camera)/\(rule)/switch" }
  /// `ON`/`OFF` from anyone on the broker (Home Assistant's switch): turns the rule on or off for the camera.
  public func switchCommand(camera: String, rule: String) -> String { "\(base)/\(camera)/\(rule)/set" }
  /// What the daemon subscribes to for every switch command.
  public var switchCommands: String { "\(base)/+/+/set" }
  /// Home Assistant's `event` entity of a camera: one message per episode start and end (queued in the outbox).
  public func cameraEvent(camera: String) -> String { "\(base)/\(camera)/event" }
  /// Retained JPEG of the camera's latest episode snapshot, whatever the rule (Home Assistant's `image` entity).
  public func cameraSnapshot(camera: String) -> String { "\(base)/\(camera)/snapshot" }

  /// `PRESS` (Home Assistant's button: the camera's latest episode) or an
  /// episode id, from any client: that episode was a false alarm.
  public func falseAlarmCommand(camera: String) -> String { "\(base)/\(camera)/false_alarm" }
  /// What the daemon subscribes to for every false-alarm command.
  public var falseAlarmCommands: String { "\(base)/+/false_alarm" }

  /// Home Assistant MQTT discovery: `component` is `binary_sensor`, `switch`, `event` or `image`;
  /// `object` names the entity within the node.
  public func discovery(_ component: String, object: String) -> String {
    "homeassistant/\(component)/\(node)_\(object)/config"
  }
  /// The binary sensor of one camera × rule (on while an episode is open).
  public func discovery(camera: String, rule: String) -> String {
    discovery("binary_sensor", object: "\(camera)_\(rule)")
  }
  public static let homeAssistantStatus = "homeassistant/status"

  /// The camera a false-alarm command's topic names; nil when `topic` is not one.
  public func falseAlarmTarget(_ topic: String) -> String? {
    guard topic.hasPrefix(base + "/") else { return nil }
    let levels = topic.dropFirst(base.count + 1).split(separator: "/", omittingEmptySubsequences: false)
    guard levels.count == 2, levels[1] == "false_alarm", !levels[0].isEmpty else { return nil }
    return String(levels[0])
  }

  /// The camera and rule a switch command's topic names; nil when `topic` is not one.
  public func switchTarget(_ topic: String) -> (camera: String, rule: String)? {
    guard topic.hasPrefix(base + "/") else { return nil }
    let levels = topic.dropFirst(base.count + 1).split(separator: "/", omittingEmptySubsequences: false)
    guard levels.count == 3, levels[2] == "set", !levels[0].isEmpty, !levels[1].isEmpty else { return nil }
    return (String(levels[0]), String(levels[1]))
  }
}
