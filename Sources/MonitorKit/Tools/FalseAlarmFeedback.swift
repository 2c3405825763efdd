import Core
import Foundation
import History

/// "This was a false alarm": the episode's best frame, from the event
/// history, becomes a false-alarm picture of its rule (`FalseAlarms`), and the
/// history notes the feedback. One path for `monitor feedback`, the MQTT
/// command and `POST /api/events/{id}/false_alarm`; a running daemon's rule
/// watcher picks the picture up within a second.
public struct FalseAlarmFeedback: Sendable {
  public let historyDirectory: String
  public let falseAlarms: FalseAlarms

  public init(historyDirectory: String, falseAlarms: FalseAlarms) {
    self.historyDirectory = historyDirectory
    self.falseAlarms = falseAlarms
  }

  public init(configuration: Configuration) {
    self.init(
      historyDirectory: configuration.historyDirectory,
      falseAlarms: FalseAlarms(stateDirectory: configuration.stateDirectory))
  }

  public enum Failure: Error, CustomStringConvertible, Equatable {
    /// No such episode in the history (a typo, or pruned).
    case unknownEpisode(String)
    /// The episode has no best frame to learn from.
    case noSnapshot(String)
    /// The history or the picture folder refused (one line, naming the file).
    case storage(String)

    public var description: String {
      switch self {
      case .unknownEpisode(let id): "no episode '\(id)' in the event history (see monitor events)"
      case .noSnapshot(let id): "episode '\(id)' has no snapshot to learn from"
      case .storage(let message): message
      }
    }
  }

  /// Records episode `id` as a false alarm; returns the episode and the picture's path.
  public func falseAlarm(id: String) throws(Failure) -> (episode: StoredEvent, picture: String) {
    guard EventHistory.isEpisodeID(id) else { throw .unknownEpisode(id) }
    let found: StoredEvent?
    do {
      found = try EventHistory(directory: historyDirectory, readOnly: true).event(id: id)
    } catch {
      throw .storage("\(error)")
    }
    guard let episode = found else { throw .unknownEpisode(id) }
    return try record(episode)
  }

  /// Records the latest episode of `camera` as a false alarm (Home Assistant's button says no more).
  public func falseAlarm(latestOn camera: String) throws(Failure) -> (episode: StoredEvent, picture: String) {
    let latest: StoredEvent?
    do {
      latest = try EventHistory(directory: historyDirectory, readOnly: true).events(
        EventQuery(camera: camera, limit: 1)
      ).first
    } catch {
      throw .storage("\(error)")
    }
    guard let episode = latest else { throw .storage("camera '\(camera)' has no episode in the event history") }
    return try record(episode)
  }

  private func record(_ episode: StoredEvent) throws(Failure) -> (episode: StoredEvent, picture: String) {
    // Written by the recorder as snapshots/<id>.jpg; checked all the same.
    guard let relative = episode.snapshotPath, !relative.contains(".."),
      let jpeg = FileManager.default.contents(atPath: historyDirectory + "/" + relative)
    else { throw .noSnapshot(episode.id) }
    do {
      let state = FileManager.default.contents(
        atPath: historyDirectory + "/" + HistoryRecorder.statePath(of: relative))
      let picture = try falseAlarms.record(rule: episode.rule, episode: episode.id, jpeg: jpeg, state: state)
      try EventHistory(directory: historyDirectory).setFeedback(id: episode.id, "false_alarm")
      return (episode, picture)
    } catch {
      throw .storage("\(error)")
    }
  }
}
