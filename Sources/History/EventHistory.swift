import Core
import Foundation
import GRDB

/// The event history: one SQLite database (`history.sqlite` in its
/// directory, under `state_dir`) with a row per episode, and the episodes'
/// best frames as JPEG files beside it (`snapshots/<id>.jpg`).
///
/// GRDB's `DatabasePool` puts the database in WAL mode: a writer never
/// blocks readers (the API, `monitor events`), and a process killed mid-write
/// (SIGKILL, OOM) leaves the last committed state, never a torn one.
/// `synchronous = NORMAL`: a power loss may forget the last few episodes but
/// never corrupts the file; what must survive power loss is the outbox's,
/// which fsyncs every event before it is published.
public final class EventHistory: Sendable {
  public static let fileName = "history.sqlite"
  public let directory: String
  let pool: DatabasePool

  /// Opens (creating and migrating it unless `readOnly`) the history in `directory`.
  public init(directory: String, readOnly: Bool = false) throws(HistoryError) {
    self.directory = directory
    let path = directory + "/" + Self.fileName
    var configuration = GRDB.Configuration()
    configuration.readonly = readOnly
    configuration.busyMode = .timeout(5)
    configuration.prepareDatabase { db in
      if !readOnly { try db.execute(sql: "PRAGMA synchronous = NORMAL") }
    }
    do {
      if !readOnly {
        try FileManager.default.createDirectory(
          atPath: directory + "/snapshots", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
      } else if !FileManager.default.fileExists(atPath: path) {
        throw HistoryError("\(path): no event history there (has the daemon run with this state_dir?)")
      }
      pool = try DatabasePool(path: path, configuration: configuration)
      if !readOnly { try HistorySchema.migrator.migrate(pool) }
    } catch let error as HistoryError {
      throw error
    } catch {
      let code = (error as? DatabaseError)?.resultCode
      throw HistoryError(
        "\(path): \(Self.describe(error))", damaged: code == .SQLITE_NOTADB || code == .SQLITE_CORRUPT)
    }
  }

  /// Opens the history for writing; a file that is not a database or is
  /// corrupt (a disk fault, a stray copy) is moved aside as
  /// `history.sqlite.bad-<seconds>` (logged) and a new history starts, so one
  /// damaged file never leaves the daemon without history from then on.
  public static func openForWriting(directory: String, log: @Sendable (String) -> Void) throws(HistoryError)
    -> EventHistory
  {
    do {
      return try EventHistory(directory: directory)
    } catch let error where error.damaged {
      let path = directory + "/" + fileName
      let aside = "\(path).bad-\(Int(Date().timeIntervalSince1970))"
      for suffix in ["", "-wal", "-shm"] {
        try? FileManager.default.moveItem(atPath: path + suffix, toPath: aside + suffix)
      }
      log("event history: \(error); moved aside as \(aside), starting a new history")
      return try EventHistory(directory: directory)
    }
  }

  /// For the upgrade test: a new database with the first schema only.
  static func firstSchema(directory: String) throws -> EventHistory {
    try EventHistory(
      directory: directory, pool: DatabasePool(path: directory + "/" + fileName), upTo: HistorySchema.first)
  }

  /// For the upgrade test: an open episode row as the first schema held it
  /// (`record` writes the current schema's columns).
  func insertFirstSchemaRow(id: String, at now: Double) throws {
    try pool.write { db in
      try db.execute(
        sql: """
          INSERT INTO episode (id, camera, rule, label, model, state, started_at, start_time, score, top_score,
            threshold) VALUES (?, 'hall', 'falls', 'a fall', 'm', 'open', ?, 1, 0.7, 0.7, 0.5)
          """, arguments: [id, now])
    }
  }

  private init(directory: String, pool: DatabasePool, upTo migration: String) throws {
    self.directory = directory
    self.pool = pool
    try HistorySchema.migrator.migrate(pool, upTo: migration)
  }

  /// For tests: a full disk as SQLite meets one (`SQLITE_FULL`), by capping
  /// the pages the writer may use; `nil` lifts the cap.
  func capPages(_ pages: Int?) throws {
    try pool.write { db in try db.execute(sql: "PRAGMA max_page_count = \(pages ?? 4_294_967_294)") }
  }

  /// Records `event` (recorded at `now`, wall-clock seconds) into its
  /// episode's row: a `new` creates it, updates and the `end` bring it up to
  /// date. A later event for an episode the history never saw (pruned, or
  /// older than the history) creates the row with what it knows.
  /// `snapshot`: the best frame's file, relative to `directory`, when this event wrote one.
  public func record(_ event: AlertEvent, snapshot: (path: String, bytes: Int)?, at now: Double) throws(HistoryError) {
    let ended = event.hasEnded
    let arguments: StatementArguments = [
      event.id, event.camera, event.rule, event.label, event.model, ended ? "ended" : "open", now,
      ended ? now : nil, event.startTime, event.endTime, event.score, event.topScore, event.threshold,
      event.beforeTime, event.reason?.rawValue, snapshot?.path, snapshot?.bytes ?? 0, event.region, event.clip?.file,
    ]
    do {
      try pool.write { db in
        try db.execute(
          sql: """
            INSERT INTO episode (id, camera, rule, label, model, state, started_at, ended_at, start_time, end_time,
              score, top_score, threshold, before_time, end_reason, snapshot_path, snapshot_bytes, region, clip_path)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET
              state = excluded.state, ended_at = coalesce(episode.ended_at, excluded.ended_at),
              end_time = excluded.end_time, clip_path = coalesce(excluded.clip_path, clip_path),
              score = excluded.score, top_score = max(top_score, excluded.top_score),
              before_time = coalesce(excluded.before_time, before_time), end_reason = excluded.end_reason,
              region = coalesce(excluded.region, region),
              snapshot_path = coalesce(excluded.snapshot_path, snapshot_path),
              snapshot_bytes = CASE WHEN excluded.snapshot_path IS NULL THEN snapshot_bytes
                ELSE excluded.snapshot_bytes END
            """, arguments: arguments)
      }
    } catch {
      throw HistoryError("\(directory)/\(Self.fileName): episode \(event.id) not recorded: \(Self.describe(error))")
    }
  }

  /// Episodes matching `query`, newest first.
  public func events(_ query: EventQuery) throws(HistoryError) -> [StoredEvent] {
    var request = StoredEvent.all()
    if let camera = query.camera { request = request.filter(Column("camera") == camera) }
    if let rule = query.rule { request = request.filter(Column("rule") == rule) }
    // Open episodes are current at any `since`.
    if let since = query.since { request = request.filter(Column("ended_at") == nil || Column("ended_at") >= since) }
    if let until = query.until { request = request.filter(Column("started_at") <= until) }
    let page = request.order(Column("started_at").desc, Column("id")).limit(query.limit)
    return try read { db in try page.fetchAll(db) }
  }

  /// What an operator said of an episode (`false_alarm`); false when the history has no such episode.
  @discardableResult
  public func setFeedback(id: String, _ feedback: String) throws(HistoryError) -> Bool {
    do {
      return try pool.write { db in
        try StoredEvent.filter(Column("id") == id).updateAll(db, Column("feedback").set(to: feedback)) > 0
      }
    } catch {
      throw HistoryError("\(directory)/\(Self.fileName): feedback on \(id) not recorded: \(Self.describe(error))")
    }
  }

  /// One episode, or nil.
  public func event(id: String) throws(HistoryError) -> StoredEvent? {
    try read { db in try StoredEvent.filter(Column("id") == id).fetchOne(db) }
  }

  /// Bytes the episodes hold: live database pages (less what the memory's
  /// rows take, which has its own bound) and snapshot files.
  public func size() throws(HistoryError) -> Int {
    try read { db in
      let pages =
        try Int.fetchOne(
          db,
          sql:
            "SELECT (page_count - freelist_count) * page_size FROM pragma_page_count, pragma_freelist_count, pragma_page_size"
        ) ?? 0
      let memory = try Int.fetchOne(db, sql: "SELECT coalesce(sum(bytes), 0) FROM memory_entry") ?? 0
      return max(0, pages - memory)
        + (try Int.fetchOne(db, sql: "SELECT coalesce(sum(snapshot_bytes), 0) FROM episode") ?? 0)
    }
  }

  /// Deletes ended episodes older than the retention's age, then the oldest
  /// ended ones until the history fits its size (open episodes stay: their
  /// `end` is still to come). Returns the snapshot files to delete, which the
  /// caller removes once this has committed.
  public func prune(_ retention: Retention, now: Double) throws(HistoryError) -> [String] {
    do {
      var snapshots: [String] = []
      try pool.write { db in
        let cutoff = now - retention.maximumAge
        snapshots += try String.fetchAll(
          db,
          sql:
            "SELECT snapshot_path FROM episode WHERE state = 'ended' AND started_at < ? AND snapshot_path IS NOT NULL",
          arguments: [cutoff])
        try db.execute(sql: "DELETE FROM episode WHERE state = 'ended' AND started_at < ?", arguments: [cutoff])
      }
      // Oldest ended episodes first, as many as cover the excess (a row's
      // own pages counted at an estimated 512 bytes), until the history fits.
      while case let excess = try size() - retention.maximumBytes, excess > 0 {
        let removed = try pool.write { db -> (rows: Int, snapshots: [String]) in
          let rows = try Row.fetchCursor(
            db, sql: "SELECT id, snapshot_path, snapshot_bytes FROM episode WHERE state = 'ended' ORDER BY started_at")
          var (ids, files, freed) = ([String](), [String](), 0)
          while freed < excess, let row = try rows.next() {
            ids.append(row["id"])
            if let file = row["snapshot_path"] as String? { files.append(file) }
            freed += (row["snapshot_bytes"] as Int) + 512
          }
          for id in ids { try db.execute(sql: "DELETE FROM episode WHERE id = ?", arguments: [id]) }
          return (ids.count, files)
        }
        snapshots += removed.snapshots
        if removed.rows == 0 { break }
      }
      return snapshots
    } catch let error as HistoryError {
      throw error
    } catch {
      throw HistoryError("\(directory)/\(Self.fileName): pruning failed: \(Self.describe(error))")
    }
  }

  /// SQLite's own check of every page and index: "ok" when whole.
  public func integrityCheck() throws(HistoryError) -> String {
    try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
  }

  /// Names of the migrations applied, in order.
  public func appliedMigrations() throws(HistoryError) -> [String] {
    try read { db in try HistorySchema.migrator.appliedMigrations(db) }
  }

  func read<T>(_ body: (Database) throws -> T) throws(HistoryError) -> T {
    do {
      return try pool.read(body)
    } catch {
      throw HistoryError("\(directory)/\(Self.fileName): \(Self.describe(error))")
    }
  }

  /// SQLite's message without GRDB's statement dump.
  static func describe(_ error: any Error) -> String {
    if let error = error as? DatabaseError { return error.message ?? "SQLite error \(error.resultCode)" }
    return "\(error)"
  }
}

/// A history that cannot be opened, read or written: one line naming the file.
public struct HistoryError: Error, CustomStringConvertible, Sendable {
  public var description: String
  /// The file is not a database, or a corrupt one (not a permission or a full disk).
  public var damaged = false
  public init(_ description: String, damaged: Bool = false) {
    self.description = description
    self.damaged = damaged
  }
}
