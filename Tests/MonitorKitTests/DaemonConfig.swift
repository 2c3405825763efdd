import Foundation

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
}
