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
    return json(object)
  }

  /// A binary_sensor per camera × rule, on while an episode is open.
  public static func discovery(topics: Topics, camera: String, rule: String, label: String) -> Data {
    let object: [String: Any] = [
      "name": "\(camera) \(label)", "unique_id": "monitor_\(topics.node)_\(camera)_\(rule)",
      "state_topic": topics.state(camera: camera, rule: rule), "payload_on": "ON", "payload_off": "OFF",
      "availability_topic": topics.available, "payload_available": "online", "payload_not_available": "offline",
      "device": [
        "identifiers": ["monitor_\(topics.node)"], "name": "monitor \(topics.node)", "manufacturer": "monitor",
        "model": "text-prompted video alerts",
      ] as [String: Any],
    ]
    return json(object)
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
