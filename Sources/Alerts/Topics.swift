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
  /// Home Assistant MQTT discovery for one camera × rule binary sensor.
  public func discovery(camera: String, rule: String) -> String {
    "homeassistant/binary_sensor/\(node)_\(camera)_\(rule)/config"
  }
  public static let homeAssistantStatus = "homeassistant/status"
}
