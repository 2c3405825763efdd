import Alerts
import Core
import Foundation
import History
import Rules

/// The pictures of false alarms, one folder per rule:
/// `<state_dir>/false-alarms/<rule>/<episode id>.jpg`, each the best frame
/// of an episode an operator said was wrong (`monitor feedback
/// --false-alarm`, MQTT, the HTTP API). The rule store attaches them to
/// their rule (`Rule.falseAlarms`) and the scorer weighs each as a contrast
/// (`PictureContrast`); the rule watcher notices a new one within a second,
/// so it takes effect without a restart. It lives in `state_dir`: the daemon
/// writes it at run time, and `/etc/monitor` is read-only under the unit.
public struct FalseAlarms: Sendable {
  public let directory: String
  /// Pictures per rule used (the newest): each is one more contrast on every frame.
  public static let limit = 32
  public static let folder = "false-alarms"

  public init(directory: String) { self.directory = directory }

  /// In the configuration's `state_dir`.
  public init(stateDirectory: String) { directory = stateDirectory + "/" + Self.folder }

  /// The newest `limit` pictures of `rule`, oldest first (none: an empty list).
  public func pictures(rule: String) -> [String] {
    let folder = directory + "/" + rule
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
    let dated = names.filter { $0.hasSuffix(".jpg") && !$0.hasPrefix(".") }.map { name in
      let path = folder + "/" + name
      let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? nil
      return (path: path, modified: modified?.timeIntervalSince1970 ?? 0)
    }
    return dated.sorted { ($0.modified, $0.path) < ($1.modified, $1.path) }.suffix(Self.limit).map(\.path)
  }

  /// (name, size, modification time) of every picture: a change in any means reload.
  public func fingerprint() -> [String] {
    guard let rules = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
    return rules.sorted().flatMap { rule in
      let folder = directory + "/" + rule
      let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
      return names.sorted().map { name in
        let attributes = try? FileManager.default.attributesOfItem(atPath: folder + "/" + name)
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(rule)/\(name) \((attributes?[.size] as? NSNumber)?.intValue ?? -1) \(modified)"
      }
    }
  }

  /// Stores `jpeg` as a false alarm of `rule` under the episode's id
  /// (written whole or not at all); returns its path. The same episode
  /// twice replaces its picture.
  @discardableResult
  /// `state`: the best frame's rolling embeddings (`BestFrame`), kept beside it when there are some.
  public func record(rule: String, episode: String, jpeg: Data, state: Data?) throws(ConfigError) -> String {
    guard Rule.isValidID(rule) else { throw ConfigError(file: directory, line: 0, "'\(rule)' is not a rule id") }
    guard EventHistory.isEpisodeID(episode) else {
      throw ConfigError(file: directory, line: 0, "'\(episode)' is not an episode id")
    }
    let folder = directory + "/" + rule
    let path = folder + "/" + episode + ".jpg"
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      if let state { try DurableFile.write(state, to: HistoryRecorder.statePath(of: path)) }
      try DurableFile.write(jpeg, to: path)
    } catch {
      throw ConfigError(file: path, line: 0, "cannot store the false alarm: \(error)")
    }
    return path
  }
}
