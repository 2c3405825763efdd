import Core
import Foundation

/// JSON payloads: the event (validated in tests against `schemas/event.schema.json`),
/// Home Assistant discovery, stats.
public enum Payloads {
  public static func event(_ event: AlertEvent) -> Data {
    var object: [String: Any] = [
      "type": event.kind.rawValue, "id": event.id, "camera": event.camera, "rule": event.rule, "label": event.label,
      "score": event.score, "top_score": event.topScore, "threshold": event.threshold, "start_time": event.startTime,
      "end_time": event.endTime.map { $0 as Any } ?? NSNull(), "frame_time": event.frameTime,
      "has_snapshot": event.hasSnapshot, "model": event.model,
    ]
    if let reason = event.reason { object["reason"] = reason.rawValue }
    if let beforeTime = event.beforeTime { object["before_time"] = beforeTime }
    if let region = event.region { object["region"] = region }
    if let clip = event.clip {
      object["has_clip"] = true
      object["clip_start_time"] = clip.startTime
      object["clip_end_time"] = clip.endTime
    }
    return json(object)
  }

  /// A binary_sensor per camera × rule, on while an episode is open.
  public static func discovery(topics: Topics, camera: String, rule: String, label: String) -> Data {
    var object = entity(topics, name: "\(camera) \(label)", id: "\(camera)_\(rule)")
    object["state_topic"] = topics.state(camera: camera, rule: rule)
    object["payload_on"] = "ON"
    object["payload_off"] = "OFF"
    return json(object)
  }

  /// A switch per camera × rule: off, the rule raises nothing on that camera.
  public static func switchDiscovery(topics: Topics, camera: String, rule: String, label: String) -> Data {
    var object = entity(topics, name: "\(camera) \(label)", id: "\(camera)_\(rule)_switch")
    object["command_topic"] = topics.switchCommand(camera: camera, rule: rule)
    object["state_topic"] = topics.switchState(camera: camera, rule: rule)
    object["payload_on"] = "ON"
    object["payload_off"] = "OFF"
    object["icon"] = "mdi:bell-ring-outline"
    return json(object)
  }

  /// The camera's `event` entity: `new` when an episode opens, `end` when it closes.
  public static func cameraEventDiscovery(topics: Topics, camera: String) -> Data {
    var object = entity(topics, name: "\(camera) episodes", id: "\(camera)_episodes")
    object["state_topic"] = topics.cameraEvent(camera: camera)
    object["event_types"] = cameraEventTypes
    return json(object)
  }

  /// The event kinds the camera's `event` entity carries (updates would only repeat the start).
  public static let cameraEventTypes = [AlertEvent.Kind.new.rawValue, AlertEvent.Kind.end.rawValue]

  /// The camera's "false alarm" button: its latest episode was not what the rule meant.
  public static func falseAlarmButtonDiscovery(topics: Topics, camera: String) -> Data {
    var object = entity(topics, name: "\(camera) false alarm", id: "\(camera)_false_alarm")
    object["command_topic"] = topics.falseAlarmCommand(camera: camera)
    object["payload_press"] = falseAlarmPress
    object["icon"] = "mdi:thumb-down-outline"
    return json(object)
  }

  /// What the button sends: the camera's latest episode.
  public static let falseAlarmPress = "PRESS"

  /// The camera's `image` entity: the latest episode snapshot.
  public static func cameraImageDiscovery(topics: Topics, camera: String) -> Data {
    var object = entity(topics, name: "\(camera) snapshot", id: "\(camera)_snapshot")
    object["image_topic"] = topics.cameraSnapshot(camera: camera)
    object["content_type"] = "image/jpeg"
    return json(object)
  }

  /// What the camera's `event` entity receives for an event payload (as
  /// stored in the outbox): nil for updates. Home Assistant takes
  /// `event_type` as the event and every other key as an attribute.
  public static func cameraEvent(event payload: Data) -> (camera: String, payload: Data)? {
    guard var object = (try? JSONSerialization.jsonObject(with: payload)) as? [String: Any],
      let type = object["type"] as? String, cameraEventTypes.contains(type), let camera = object["camera"] as? String
    else { return nil }
    object["type"] = nil
    object["camera"] = nil
    object["event_type"] = type
    return (camera, json(object))
  }

  /// What every entity's discovery shares: name, unique id, availability, the node's device.
  private static func entity(_ topics: Topics, name: String, id: String) -> [String: Any] {
    [
      "name": name, "unique_id": "monitor_\(topics.node)_\(id)",
      "availability_topic": topics.available, "payload_available": "online", "payload_not_available": "offline",
      "device": [
        "identifiers": ["monitor_\(topics.node)"], "name": "monitor \(topics.node)", "manufacturer": "monitor",
        "model": "text-prompted video alerts",
      ] as [String: Any],
    ]
  }

  public static func stats(_ values: [String: Any]) -> Data { json(values) }

  /// JSON has no NaN or infinity: such a number (a broken model, an empty
  /// interval) becomes null instead of turning the whole payload into `{}`.
  static func json(_ object: [String: Any]) -> Data {
    (try? JSONSerialization.data(withJSONObject: finite(object), options: [.sortedKeys])) ?? Data("{}".utf8)
  }

  private static func finite(_ value: Any) -> Any {
    switch value {
    case let number as Double: return number.isFinite ? number : NSNull()
    case let number as Float: return number.isFinite ? number : NSNull()
    case let object as [String: Any]: return object.mapValues(finite)
    case let array as [Any]: return array.map(finite)
    default: return value
    }
  }
}
