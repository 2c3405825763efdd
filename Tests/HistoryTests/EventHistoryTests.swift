import Core
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import History

@Suite struct EventHistoryTests {
  static let ids = (0..<8).map { String(format: "6f1c2a7e-0b1d-4c3e-9f00-%012d", $0) }

  static func event(
    _ kind: AlertEvent.Kind, id: String, camera: String = "hall", rule: String = "falls", score: Double = 0.7,
    snapshot: [UInt8]? = nil
  ) -> AlertEvent {
    var event = AlertEvent(
      kind: kind, id: id, camera: camera, rule: rule, label: "a person falls", score: score, topScore: score,
      threshold: 0.6, startTime: 1, endTime: kind == .end ? 9 : nil, frameTime: 2, snapshot: snapshot, model: "m")
    if kind == .end && score < 0 { event.reason = .restart }
    return event
  }

  /// An episode is one row: `new` creates it, updates raise its score and
  /// replace its snapshot, `end` closes it; queries filter and order newest first.
  @Test func episodesAreRecordedAndQueried() throws {
    let directory = try Repository.temporaryDirectory("history").path
    let history = try EventHistory(directory: directory)
    let recorder = HistoryRecorder(history: history, retention: Retention(), log: { _ in }, now: { 1_000 })
    recorder.deliver(Self.event(.new, id: Self.ids[0], snapshot: [1, 2, 3]))
    recorder.deliver(Self.event(.update, id: Self.ids[0], score: 0.9, snapshot: [4, 5, 6, 7]))
    recorder.deliver(Self.event(.end, id: Self.ids[0], score: 0.65))
    try history.record(Self.event(.new, id: Self.ids[1], camera: "yard"), snapshot: nil, at: 2_000)
    try history.record(Self.event(.new, id: Self.ids[2], rule: "parcel"), snapshot: nil, at: 3_000)

    let first = try #require(try history.event(id: Self.ids[0]))
    #expect(first.state == .ended && first.score == 0.65 && first.topScore == 0.9 && first.endTime == 9)
    #expect(first.startedAt == 1_000 && first.endedAt == 1_000 && first.snapshotBytes == 4)
    let jpeg = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + (first.snapshotPath ?? "")))
    #expect(Array(jpeg) == [4, 5, 6, 7])
    #expect(try history.events(EventQuery()).map(\.id) == [Self.ids[2], Self.ids[1], Self.ids[0]])
    #expect(try history.events(EventQuery(camera: "yard")).map(\.id) == [Self.ids[1]])
    #expect(try history.events(EventQuery(rule: "parcel")).map(\.id) == [Self.ids[2]])
    #expect(try history.events(EventQuery(until: 2_500)).map(\.id) == [Self.ids[1], Self.ids[0]])
    // Open episodes are current at any `since`; ended ones only if they ended after it.
    #expect(try history.events(EventQuery(since: 1_500)).map(\.id) == [Self.ids[2], Self.ids[1]])
    #expect(try history.events(EventQuery(limit: 1)).count == 1)
    #expect(try history.event(id: Self.ids[7]) == nil)
    #expect(first.json["started_at"] as? String == "1970-01-01T00:16:40.000Z")
  }

  /// A restart's `end` for an episode the history never saw still makes a row, with its reason.
  @Test func anEndWithoutItsNewMakesARow() throws {
    let history = try EventHistory(directory: try Repository.temporaryDirectory("history").path)
    try history.record(Self.event(.end, id: Self.ids[3], score: -1), snapshot: nil, at: 5)
    let row = try #require(try history.event(id: Self.ids[3]))
    #expect(row.state == .ended && row.endReason == "restart" && row.snapshotPath == nil)
  }

  /// Age first, then size; open episodes are never pruned; snapshot files go with their rows.
  @Test func retentionBoundsAgeAndSize() throws {
    let directory = try Repository.temporaryDirectory("history").path
    let history = try EventHistory(directory: directory)
    let now = Mutex(0.0)
    let recorder = HistoryRecorder(
      history: history, retention: Retention(maximumAge: 100, maximumBytes: 10_000_000), log: { _ in },
      now: { now.withLock { $0 } })
    for (index, id) in Self.ids.prefix(6).enumerated() {
      now.withLock { $0 = Double(index) * 40 }
      recorder.deliver(Self.event(.new, id: id, snapshot: [UInt8](repeating: 7, count: 100_000)))
      if index != 5 { recorder.deliver(Self.event(.end, id: id)) }
    }
    // At 200 s: age alone (the size bound is far) removes the ended episodes that started before 100 s.
    now.withLock { $0 = 200 }
    recorder.prune()
    let left = try history.events(EventQuery()).map(\.id)
    #expect(left == [Self.ids[5], Self.ids[4], Self.ids[3]], "the open episode stays")
    let files = try FileManager.default.contentsOfDirectory(atPath: directory + "/snapshots").sorted()
    #expect(files == left.sorted().map { "\($0).jpg" })
    // Size alone, oldest first: 270 kB (two snapshots and the database's ~60 kB
    // of empty tables and indexes) keeps the newest ended episode (and the open one).
    now.withLock { $0 = 201 }
    HistoryRecorder(
      history: history, retention: Retention(maximumAge: 1e9, maximumBytes: 270_000), log: { _ in },
      now: { now.withLock { $0 } }
    ).prune()
    #expect(try history.events(EventQuery()).map(\.id) == [Self.ids[5], Self.ids[4]])
    // A bound below one snapshot leaves only the open episode.
    now.withLock { $0 = 201 }
    let tight = HistoryRecorder(
      history: history, retention: Retention(maximumAge: 1e9, maximumBytes: 1), log: { _ in },
      now: { now.withLock { $0 } })
    tight.prune()
    #expect(try history.events(EventQuery()).map(\.id) == [Self.ids[5]])
  }

  /// A database made by the first schema, with an episode in it, migrates to
  /// the current one and keeps the episode.
  @Test func upgradesFromTheFirstSchema() throws {
    let directory = try Repository.temporaryDirectory("history").path
    do {
      let old = try EventHistory.firstSchema(directory: directory)
      #expect(try old.appliedMigrations() == ["v1-episodes"])
      try old.insertFirstSchemaRow(id: Self.ids[4], at: 10)
    }
    let history = try EventHistory(directory: directory)
    #expect(try history.appliedMigrations() == ["v1-episodes", "v2-clip-feedback", "v3-region", "v4-memory"])
    let row = try #require(try history.event(id: Self.ids[4]))
    #expect(row.startedAt == 10 && row.clipPath == nil && row.feedback == nil && row.region == nil)
    var inRegion = Self.event(.new, id: Self.ids[5])
    inRegion.region = "bed"
    try history.record(inRegion, snapshot: nil, at: 11)
    var ended = Self.event(.end, id: Self.ids[5])
    ended.region = nil
    try history.record(ended, snapshot: nil, at: 12)
    #expect(try history.event(id: Self.ids[5])?.region == "bed")
    #expect(try history.integrityCheck() == "ok")
  }

  /// A missing history read-only is one line naming the file; ids that are
  /// not episode ids never reach a file name.
  @Test func badInputsAreRefused() throws {
    let directory = try Repository.temporaryDirectory("history").path
    #expect(throws: HistoryError.self) { try EventHistory(directory: directory + "/none", readOnly: true) }
    let history = try EventHistory(directory: directory)
    let recorder = HistoryRecorder(history: history, retention: Retention(), log: { _ in })
    recorder.deliver(Self.event(.new, id: "../../etc/passwd", snapshot: [1]))
    #expect(try history.event(id: "../../etc/passwd")?.snapshotPath == nil)
    for id in ["", "..", "a/b", "x\u{0}", String(repeating: "a", count: 65), "ABCDEF-12"] {
      #expect(EventHistory.isEpisodeID(id) == (id == "ABCDEF-12"), "\(id)")
    }
    let reader = try EventHistory(directory: directory, readOnly: true)
    #expect(try reader.events(EventQuery()).count == 1)
  }

  /// A file that is not a database is moved aside (logged) and a new history starts.
  @Test func aDamagedDatabaseIsMovedAside() throws {
    let directory = try Repository.temporaryDirectory("history").path
    try Data(repeating: 0x5A, count: 8_192).write(to: URL(fileURLWithPath: directory + "/history.sqlite"))
    #expect(throws: HistoryError.self) { try EventHistory(directory: directory) }
    let log = Recorder<String>()
    let history = try EventHistory.openForWriting(directory: directory, log: { log.append($0) })
    try history.record(Self.event(.new, id: Self.ids[0]), snapshot: nil, at: 1)
    #expect(try history.events(EventQuery()).count == 1)
    #expect(log.all.count == 1 && log.all[0].contains("moved aside as \(directory)/history.sqlite.bad-"), "\(log.all)")
    let files = try FileManager.default.contentsOfDirectory(atPath: directory)
    #expect(files.contains { $0.hasPrefix("history.sqlite.bad-") })
  }

  /// A history the disk refuses costs the history, not the daemon: logged once, then again when it recovers.
  @Test func aFailingDatabaseIsLoggedOnce() throws {
    let directory = try Repository.temporaryDirectory("history").path
    let history = try EventHistory(directory: directory)
    let log = Recorder<String>()
    let recorder = HistoryRecorder(history: history, retention: Retention(), log: { log.append($0) })
    recorder.deliver(Self.event(.new, id: Self.ids[0]))
    let pages = try history.size() / 4096
    try history.capPages(pages)
    for id in Self.ids[1...] {
      recorder.deliver(Self.event(.new, id: id, camera: String(repeating: "c", count: 9_000)))
    }
    #expect(log.all.count == 1 && log.all[0].contains("not recorded"), "\(log.all)")
    #expect(log.all.first?.contains("full") == true, "\(log.all)")
    try history.capPages(nil)
    recorder.deliver(Self.event(.end, id: Self.ids[0]))
    #expect(log.all.last == "event history: recording again; 7 event(s) were not recorded", "\(log.all)")
    #expect(try history.event(id: Self.ids[0])?.state == .ended)
  }
}
