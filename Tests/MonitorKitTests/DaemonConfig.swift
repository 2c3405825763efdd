import Foundation
import TestSupport

/// monitor.toml for tests: node "test", the tiny fixture CLIP model, state in
/// `directory`, one camera named "cam", MQTT to a test broker or off.
enum DaemonConfig {
  static func write(
    in directory: URL, rules: String? = nil, mqttPort: Int?, cameraURL: String, cameraLines: [String] = []
  ) throws -> String {
    let mqtt = mqttPort.map { "host = \"127.0.0.1\"\nport = \($0)" } ?? "enabled = false"
    let lines =
      [
        "node = \"test\"", "rules_dir = \"\(rules ?? directory.path + "/rules")\"", "state_dir = \"\(directory.path)\"",
        "[model]", "clip = \"\(DaemonTests.model)\"", "[mqtt]", mqtt, "[[cameras]]", "name = \"cam\"",
        "url = \"\(cameraURL)\"",
      ] + cameraLines
    let path = directory.appendingPathComponent("monitor.toml").path
    try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// The embedded model's demo camera (`models/synthetic/demo/camera.mp4`,
  /// 4 fps, motion gate off, the bundled rules) with MQTT off and `state_dir`
  /// in `directory`; returns the configuration's path.
  static func demo(in directory: URL, loop: Bool = false) throws -> String {
    let path = directory.appendingPathComponent("monitor.toml").path
    let root = Repository.root.appendingPathComponent("models/synthetic")
    try """
    node = "test"
    rules_dir = "\(root.appendingPathComponent("rules").path)"
    state_dir = "\(directory.path)"
    threads = 1
    [mqtt]
    enabled = false
    [[cameras]]
    name = "demo"
    url = "\(root.appendingPathComponent("demo/camera.mp4").path)"
    fps = 4
    motion = false
    loop = \(loop)
    """.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }
}
