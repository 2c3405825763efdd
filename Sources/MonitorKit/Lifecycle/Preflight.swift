import Config
import Core
import Foundation
import HTTPAPI
import Rules
import Video

#if canImport(Glibc)
  import Glibc
#endif

/// What `check-config` verifies beyond the files' syntax, so that it fails
/// on what `run` would then fail on or silently ignore: a state directory the
/// daemon cannot write, a file camera that is not there, TLS or password
/// files that cannot be read (errors), and rules naming cameras the
/// configuration does not have (warnings: such a rule never applies there),
/// an HTTP API that would stay off for want of a usable token, a memory
/// without the history it lives in (warnings: the daemon runs without them,
/// as `run` does).
public enum Preflight {
  public struct Finding: Sendable, Equatable, CustomStringConvertible {
    public var isError: Bool
    public var message: String
    public var description: String { (isError ? "" : "warning: ") + message }
  }

  public static func check(_ configuration: Configuration, file: String, rules: [Rule]) -> [Finding] {
    var findings: [Finding] = []
    func error(_ message: String) { findings.append(Finding(isError: true, message: message)) }
    if let problem = writableDirectoryProblem(configuration.stateDirectory) {
      error("\(configuration.stateDirectory): state_dir \(problem)")
    }
    for camera in configuration.cameras where camera.enabled {
      guard case .file(let path)? = try? SourceSpec(parsing: camera.url).kind else { continue }
      if access(path, R_OK) != 0 {
        error("\(file):\(camera.line): camera \(camera.name): \(path): \(String(cString: strerror(errno)))")
      }
    }
    let mqtt = configuration.mqtt
    if mqtt.enabled {
      for (key, path) in [("tls_ca", mqtt.tlsCA), ("tls_cert", mqtt.tlsCert), ("tls_key", mqtt.tlsKey)] {
        if let path, access(path, R_OK) != 0 {
          error("\(path): mqtt \(key) cannot be read (\(String(cString: strerror(errno))))")
        }
      }
      do { _ = try mqtt.password() } catch { findings.append(Finding(isError: true, message: "\(error)")) }
    }
    if configuration.http.enabled {
      do {
        if try BearerToken.load(file: configuration.http.tokenFile) == nil && !configuration.http.isLoopback {
          findings.append(
            Finding(
              isError: false,
              message: "http listen \(configuration.http.listen) is reachable from other machines and needs a bearer "
                + "token ([http] token_file, or the systemd credential api-token): the HTTP API will be off"))
        }
      } catch {
        findings.append(Finding(isError: false, message: "\(error): the HTTP API will be off"))
      }
    }
    if configuration.memory.enabled && !configuration.history.enabled {
      findings.append(
        Finding(
          isError: false,
          message: "[memory] is on but [history] is off: the memory lives in the history's database, so there "
            + "will be none (monitor search finds nothing)"))
    }
    let names = Set(configuration.cameras.map(\.name))
    for rule in rules {
      for camera in rule.cameras where !names.contains(camera) {
        findings.append(
          Finding(
            isError: false,
            message: "rule \(rule.id): camera '\(camera)' is not in \(file) (the rule never applies there)"))
      }
    }
    findings += missingRegions(cameras: configuration.cameras, rules: rules, file: file).map {
      Finding(isError: true, message: $0)
    }
    return findings
  }

  /// One line per rule naming a region that none of the cameras it watches
  /// defines (a typo would otherwise make it watch nothing there, silently):
  /// an error for `check-config`, a log line at each rule load of the daemon.
  public static func missingRegions(cameras: [Configuration.Camera], rules: [Rule], file: String) -> [String] {
    rules.filter(\.enabled).compactMap { rule in
      let watched = cameras.filter { $0.enabled && rule.applies(to: $0.name) }
      let missing = rule.views.compactMap(\.regionName).filter { name in !watched.contains { $0.region(name) != nil } }
      guard !missing.isEmpty else { return nil }
      let defined = Set(watched.flatMap { $0.regions.map(\.name) }).sorted()
      return "rule \(rule.id): region \(missing.map { "'\($0)'" }.joined(separator: ", ")) is not defined on "
        + (watched.isEmpty ? "any camera it watches" : "its camera(s) \(watched.map(\.name).joined(separator: ", "))")
        + " in \(file) (defined there: \(defined.isEmpty ? "none" : defined.joined(separator: ", "))); "
        + "the rule watches nothing there"
    }
  }

  /// Why the daemon could not write in `path` (created at start if missing); nil if it can.
  static func writableDirectoryProblem(_ path: String) -> String? {
    var status = stat()
    if stat(path, &status) != 0 {
      let parent = (path as NSString).deletingLastPathComponent
      return access(parent.isEmpty ? "." : parent, W_OK) == 0 ? nil : "does not exist and cannot be created"
    }
    guard status.st_mode & S_IFMT == S_IFDIR else { return "is not a directory" }
    return access(path, W_OK | X_OK) == 0 ? nil : "is not writable by this user"
  }
}
