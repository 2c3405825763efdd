import GRDB

/// The database's schema as an ordered list of migrations (GRDB's
/// `DatabaseMigrator` records which ran in `grdb_migrations`). A migration,
/// once released, never changes: a new one is appended, and the upgrade test
/// builds a database with the first schema and migrates it.
enum HistorySchema {
  /// The schema `monitor` 0.x shipped first.
  static let first = "v1-episodes"

  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration(first) { db in
      try db.create(table: "episode") { table in
        table.primaryKey("id", .text)
        table.column("camera", .text).notNull()
        table.column("rule", .text).notNull()
        table.column("label", .text).notNull()
        table.column("model", .text).notNull()
        table.column("state", .text).notNull()
        table.column("started_at", .double).notNull()
        table.column("ended_at", .double)
        table.column("start_time", .double).notNull()
        table.column("end_time", .double)
        table.column("score", .double).notNull()
        table.column("top_score", .double).notNull()
        table.column("threshold", .double).notNull()
        table.column("before_time", .double)
        table.column("end_reason", .text)
        table.column("snapshot_path", .text)
        table.column("snapshot_bytes", .integer).notNull().defaults(to: 0)
      }
      try db.create(index: "episode_started_at", on: "episode", columns: ["started_at"])
      try db.create(index: "episode_camera_rule", on: "episode", columns: ["camera", "rule", "started_at"])
    }
    // Room for what later work records per episode: its clip and the operator's verdict.
    migrator.registerMigration("v2-clip-feedback") { db in
      try db.alter(table: "episode") { table in
        table.add(column: "clip_path", .text)
        table.add(column: "feedback", .text)
      }
    }
    migrator.registerMigration("v3-region") { db in
      try db.alter(table: "episode") { table in table.add(column: "region", .text) }
    }
    // The long-term memory (`MemoryBank`): each camera view's compressed
    // blocks. Three tables, so that a search reads only what it scores: the
    // entries (small rows), their embeddings (bfloat16 blobs, three to a page,
    // read in one sweep) and their thumbnails (JPEG blobs of a few kilobytes,
    // read only when shown: SQLite keeps blobs that small as fast as files,
    // and a purge is one DELETE, cascading). `bytes` is what an entry costs
    // in all three, for retention and for keeping the episodes' size apart.
    migrator.registerMigration("v4-memory") { db in
      try db.create(table: "memory_entry") { table in
        table.autoIncrementedPrimaryKey("id")
        table.column("camera", .text).notNull()
        table.column("view", .text).notNull()
        table.column("block_start", .double).notNull()
        table.column("position", .integer).notNull()
        table.column("start", .double).notNull()
        table.column("end", .double).notNull()
        table.column("frames", .integer).notNull()
        table.column("model", .text).notNull()
        table.column("bytes", .integer).notNull()
        table.uniqueKey(["camera", "view", "block_start", "position"])
      }
      try db.create(index: "memory_entry_start", on: "memory_entry", columns: ["start"])
      try db.create(table: "memory_vector") { table in
        table.primaryKey("id", .integer).references("memory_entry", onDelete: .cascade)
        table.column("embedding", .blob).notNull()
      }
      try db.create(table: "memory_thumbnail") { table in
        table.primaryKey("id", .integer).references("memory_entry", onDelete: .cascade)
        table.column("jpeg", .blob).notNull()
      }
    }
    return migrator
  }
}
