import Core
import Foundation

/// The history as an event sink: writes each episode's best frame beside the
/// database and records the event, on the delivery thread. A full disk or a
/// damaged database costs the history, never the events: a failure is logged
/// once, counted, and the next event tries again. Retention runs at start
/// and then hourly.
public final class HistoryRecorder: AlertSink, @unchecked Sendable {
  private let history: EventHistory
  private let retention: Retention
  private let log: @Sendable (String) -> Void
  private let now: @Sendable () -> Double
  private let lock = NSLock()
  /// Events not recorded since the history last accepted one (0: healthy).
  private var unrecorded = 0
  private var lastPrune = -Double.infinity
  public static let pruneInterval = 3_600.0

  public init(
    history: EventHistory, retention: Retention, log: @escaping @Sendable (String) -> Void,
    now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
  ) {
    self.history = history
    self.retention = retention
    self.log = log
    self.now = now
  }

  public func deliver(_ event: AlertEvent) {
    lock.withLock {
      let time = now()
      if time - lastPrune >= Self.pruneInterval { prune(at: time) }
      do {
        try history.record(event, snapshot: writeSnapshot(of: event), at: time)
        if unrecorded > 0 { log("event history: recording again; \(unrecorded) event(s) were not recorded") }
        unrecorded = 0
      } catch {
        if unrecorded == 0 { log("event history: \(error) (more are counted)") }
        unrecorded += 1
      }
    }
  }

  /// Runs retention now (the daemon calls it at start; `deliver` hourly).
  public func prune() { lock.withLock { prune(at: now()) } }

  private func prune(at time: Double) {
    lastPrune = time
    do {
      let files = try history.prune(retention, now: time)
      for file in files {
        try? FileManager.default.removeItem(atPath: history.directory + "/" + file)
        try? FileManager.default.removeItem(atPath: history.directory + "/" + Self.statePath(of: file))
      }
      if !files.isEmpty { log("event history: retention removed \(files.count) snapshot(s)") }
    } catch {
      log("event history: \(error)")
    }
  }

  /// The file beside a snapshot with the best frame's rolling embeddings
  /// (`snapshots/<id>.state`, written by the daemon for false-alarm feedback).
  public static func statePath(of snapshot: String) -> String {
    (snapshot.hasSuffix(".jpg") ? String(snapshot.dropLast(4)) : snapshot) + ".state"
  }

  /// The event's JPEG as `snapshots/<id>.jpg` (replacing the episode's
  /// earlier best frame), or nil without one or when it cannot be written.
  private func writeSnapshot(of event: AlertEvent) -> (path: String, bytes: Int)? {
    guard let jpeg = event.snapshot, EventHistory.isEpisodeID(event.id) else { return nil }
    let path = "snapshots/\(event.id).jpg"
    do {
      try Data(jpeg).write(to: URL(fileURLWithPath: history.directory + "/" + path), options: .atomic)
      if let state = event.snapshotState {
        let statePath = history.directory + "/" + Self.statePath(of: path)
        try Data(state).write(to: URL(fileURLWithPath: statePath), options: .atomic)
      }
      return (path, jpeg.count)
    } catch {
      log("event history: snapshot of \(event.id) not written: \(error.localizedDescription)")
      return nil
    }
  }
}

extension EventHistory {
  /// Whether `id` can be an episode id (what the daemon makes: a UUID). Ids
  /// become file names and URL paths, so anything else (`..`, `/`, a NUL) is
  /// refused before it reaches either.
  public static func isEpisodeID(_ id: String) -> Bool {
    let bytes = Array(id.utf8)
    return (1...64).contains(bytes.count)
      && bytes.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) || $0 == 45 }
  }
}
