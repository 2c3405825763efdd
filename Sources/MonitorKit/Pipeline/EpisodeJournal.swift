import Alerts
import Core
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Open episodes on disk (`<state_dir>/episodes/<id>.json`), so that a
/// crash, a SIGKILL or a power loss never leaves an episode open for
/// subscribers: the next start sends an `end` with `"reason": "restart"` for
/// each one found.
///
/// Order against the outbox, for power loss: a `new` is journaled (file and
/// directory fsync'd) before any sink sees it, and an `end` leaves the
/// journal only after every sink (the fsync'd outbox among them) has it. A
/// crash in between costs at most an `end` for a `new` never published, or a
/// second `end` (subscribers de-duplicate by id); never a `new` without `end`.
public final class EpisodeJournal: @unchecked Sendable {
  struct Record: Codable {
    var id: String
    var camera: String
    var rule: String
    var label: String
    var threshold: Double
    var startTime: Double
    var topScore: Double
    var frameTime: Double
    var model: String
    /// Absent in records of older versions.
    var beforeTime: Double?
    var region: String?
  }

  public let directory: String
  private let log: @Sendable (String) -> Void

  public init(directory: String, log: @escaping @Sendable (String) -> Void) throws {
    self.directory = directory
    self.log = log
    try Outbox.makeDirectories(directory)  // beside the outbox, in state_dir
  }

  /// A `new` or `update`: the episode is open (written before the sinks run).
  public func opened(_ event: AlertEvent) {
    let record = Record(
      id: event.id, camera: event.camera, rule: event.rule, label: event.label, threshold: event.threshold,
      startTime: event.startTime, topScore: event.topScore, frameTime: event.frameTime, model: event.model,
      beforeTime: event.beforeTime, region: event.region)
    do {
      try DurableFile.write(JSONEncoder().encode(record), to: path(event.id))
    } catch {
      log("episode journal: \(error); episode \(event.id) would not be ended after a crash")
    }
  }

  /// An `end` every sink has: the episode leaves the journal.
  public func closed(_ event: AlertEvent) {
    if unlink(path(event.id)) != 0 && errno != ENOENT {
      log("episode journal: cannot remove \(path(event.id)) (\(String(cString: strerror(errno))))")
    }
  }

  /// The episodes a previous run left open, as the `end` events to send now
  /// (`reason` restart, ended at the last frame they were seen at). A damaged
  /// record is logged and moved aside as `.bad`.
  public func leftOpen() -> [AlertEvent] {
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    var events: [AlertEvent] = []
    for name in names where name.hasSuffix(".json") {
      let file = directory + "/" + name
      guard let data = FileManager.default.contents(atPath: file),
        let record = try? JSONDecoder().decode(Record.self, from: data)
      else {
        log("episode journal: \(file) is damaged; moved aside as .bad")
        rename(file, file + ".bad")
        continue
      }
      var event = AlertEvent(
        kind: .end, id: record.id, camera: record.camera, rule: record.rule, label: record.label,
        score: record.topScore, topScore: record.topScore, threshold: record.threshold, startTime: record.startTime,
        endTime: record.frameTime, frameTime: record.frameTime, snapshot: nil, model: record.model)
      event.reason = .restart
      event.beforeTime = record.beforeTime
      event.region = record.region
      events.append(event)
    }
    return events.sorted { $0.startTime < $1.startTime }
  }

  private func path(_ id: String) -> String {
    // Episode ids are UUIDs we made; anything else never becomes a path.
    let safe = id.unicodeScalars.allSatisfy { $0.properties.isASCIIHexDigit || $0 == "-" }
    return directory + "/" + (safe ? id : "invalid") + ".json"
  }
}
