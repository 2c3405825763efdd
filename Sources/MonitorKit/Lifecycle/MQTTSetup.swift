import Alerts
import Config
import Core
import Foundation

extension Configuration.MQTT {
  /// The password: `password_file`, else `$CREDENTIALS_DIRECTORY/mqtt-password`
  /// (systemd's LoadCredential=), else none. Never logged.
  func password() throws(ConfigError) -> String? {
    var candidates: [String] = []
    if let passwordFile { candidates.append(passwordFile) }
    if let credentials = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"] {
      candidates.append(credentials + "/mqtt-password")
    }
    for path in candidates where FileManager.default.fileExists(atPath: path) {
      guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
        throw ConfigError(file: path, line: 0, "MQTT password file is unreadable")
      }
      return text.trimmingCharacters(in: .newlines)
    }
    if let passwordFile { throw ConfigError(file: passwordFile, line: 0, "MQTT password file is missing") }
    return nil
  }

  /// Publisher settings for `node`.
  func publisherSettings(node: String) throws(ConfigError) -> MQTTPublisher.Settings {
    var settings = MQTTPublisher.Settings(
      topics: Topics(prefix: prefix, node: node), clientID: clientID ?? "monitor-\(node)")
    settings.host = host
    settings.port = port
    settings.username = username
    settings.password = try password()
    settings.tlsCA = tlsCA
    settings.tlsCert = tlsCert
    settings.tlsKey = tlsKey
    settings.keepalive = keepalive
    settings.qos = qos
    return settings
  }
}
