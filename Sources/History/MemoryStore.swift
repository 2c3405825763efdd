import Foundation
import GRDB

/// One compressed memory entry as it goes into the history database.
public struct MemoryRecord: Sendable, Equatable {
  public var start: Double
  public var end: Double
  public var frames: Int
  public var embedding: [Float]
  /// The entry's frame as JPEG; nil when it could not be encoded.
  public var thumbnail: [UInt8]?

  public init(start: Double, end: Double, frames: Int, embedding: [Float], thumbnail: [UInt8]?) {
    (self.start, self.end, self.frames, self.embedding, self.thumbnail) = (start, end, frames, embedding, thumbnail)
  }
}

/// One stored memory entry, as search reads it (no thumbnail: fetched by `id` when shown).
public struct StoredMemoryEntry: Sendable, Equatable {
  public var id: Int64
  public var camera: String
  /// The region's name, or nil for the whole frame.
  public var region: String?
  /// Wall-clock seconds since 1970.
  public var start: Double
  public var end: Double
  public var frames: Int
  public var embedding: [Float]

  public init(
    id: Int64, camera: String, region: String?, start: Double, end: Double, frames: Int, embedding: [Float]
  ) {
    (self.id, self.camera, self.region, self.start, self.end) = (id, camera, region, start, end)
    (self.frames, self.embedding) = (frames, embedding)
  }
}

/// Which memory entries to read or purge: wall-clock seconds since 1970; an
/// entry is inside when its span overlaps [since, until].
public struct MemoryQuery: Sendable, Equatable {
  public var camera: String?
  public var since: Double?
  public var until: Double?

  public init(camera: String? = nil, since: Double? = nil, until: Double? = nil) {
    (self.camera, self.since, self.until) = (camera, since, until)
  }

  fileprivate var condition: (sql: String, arguments: StatementArguments) {
    var parts: [String] = []
    var arguments: StatementArguments = []
    if let camera {
      parts.append("camera = ?")
      _ = arguments.append(contentsOf: [camera])
    }
    if let since {
      parts.append("\"end\" >= ?")
      _ = arguments.append(contentsOf: [since])
    }
    if let until {
      parts.append("start <= ?")
      _ = arguments.append(contentsOf: [until])
    }
    return (parts.isEmpty ? "1" : parts.joined(separator: " AND "), arguments)
  }
}

/// Per camera: what its memory holds.
public struct MemoryUsage: Sendable, Equatable {
  public var camera: String
  public var entries: Int
  public var bytes: Int
  /// Seconds of footage the entries cover (block spans, gaps excluded).
  public var seconds: Double
  public var oldest: Double?
}

extension EventHistory {
  /// Stores (replacing what was stored for it) one block of a camera view's
  /// memory, made by the model with fingerprint `model`. `region` nil: the whole frame.
  public func storeMemory(
    camera: String, region: String?, blockStart: Double, model: String, entries: [MemoryRecord]
  ) throws(HistoryError) {
    do {
      try pool.write { db in
        try db.execute(
          sql: "DELETE FROM memory_entry WHERE camera = ? AND view = ? AND block_start = ?",
          arguments: [camera, region ?? "", blockStart])
        for (position, entry) in entries.enumerated() {
          let embedding = Self.halfPrecision(entry.embedding)
          let bytes = Self.entryBytes(dimension: entry.embedding.count, thumbnail: entry.thumbnail?.count)
          try db.execute(
            sql: """
              INSERT INTO memory_entry (camera, view, block_start, position, start, "end", frames, model, bytes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
              """,
            arguments: [
              camera, region ?? "", blockStart, position, entry.start, entry.end, entry.frames, model, bytes,
            ])
          let id = db.lastInsertedRowID
          try db.execute(sql: "INSERT INTO memory_vector (id, embedding) VALUES (?, ?)", arguments: [id, embedding])
          if let thumbnail = entry.thumbnail {
            try db.execute(
              sql: "INSERT INTO memory_thumbnail (id, jpeg) VALUES (?, ?)", arguments: [id, Data(thumbnail)])
          }
        }
      }
    } catch {
      throw HistoryError("\(directory)/\(Self.fileName): memory of \(camera) not stored: \(Self.describe(error))")
    }
  }

  /// Bytes a memory row costs beyond its blobs (keys, times, the indexes), estimated.
  static let memoryRowOverhead = 96

  /// What one memory entry takes in the file: its row, its bfloat16
  /// vector's and its thumbnail's (`thumbnail` bytes of JPEG, nil: none).
  public static func entryBytes(dimension: Int, thumbnail: Int?) -> Int {
    storedBytes(payload: 0) + storedBytes(payload: 2 * dimension) + (thumbnail.map { storedBytes(payload: $0) } ?? 0)
  }

  /// What a row with `payload` bytes of blobs takes in the file: a row too
  /// large for its page spills into overflow pages, each used whole, so a
  /// 4 kB thumbnail costs two pages, not 4 kB (SQLite's file format, "Cell
  /// Payload Overflow Pages", at the default 4 096-byte page).
  public static func storedBytes(payload: Int) -> Int {
    let (page, largestLocal, smallestLocal) = (4_096, 4_061, 489)
    let size = payload + memoryRowOverhead
    guard size > largestLocal else { return size }
    let spilled = size - smallestLocal
    return smallestLocal + (spilled + page - 5) / (page - 4) * page
  }

  /// Embeddings are stored as bfloat16 (float32's top half, rounded to
  /// nearest even; little-endian): half the disk and half the reading of a
  /// search, and widening back is a shift (float16 would need F16C or a slow
  /// software conversion). 8 significant bits per component move the cosine
  /// of two 512-wide unit vectors by about 1e-4, far below what ranks a search.
  static func halfPrecision(_ vector: [Float]) -> Data {
    vector.map { value -> UInt16 in
      let bits = value.bitPattern
      guard !value.isNaN else { return UInt16(bits >> 16) | 0x40 }
      return UInt16((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).littleEndian
    }.withUnsafeBytes { Data($0) }
  }

  static func singlePrecision(_ data: Data) -> [Float] {
    data.withUnsafeBytes { raw in
      [Float](unsafeUninitializedCapacity: raw.count / 2) { buffer, count in
        for i in 0..<raw.count / 2 {
          let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
          buffer[i] = Float(bitPattern: UInt32(bits) << 16)
        }
        count = raw.count / 2
      }
    }
  }

  /// The entries `query` covers that the model with fingerprint `model` made
  /// (another model's embeddings are not comparable), oldest first.
  public func memoryEntries(_ query: MemoryQuery, model: String) throws(HistoryError) -> [StoredMemoryEntry] {
    let (condition, arguments) = query.condition
    var all = arguments
    _ = all.append(contentsOf: [model])
    return try read { db in
      guard try db.tableExists("memory_entry") else { return [] }  // a history the daemon has not upgraded yet
      // In the unique key's order (block, then position: time order per
      // view), so SQLite walks that index instead of sorting the vectors.
      let rows = try Row.fetchCursor(
        db,
        sql: """
          SELECT e.id, camera, view, start, "end", frames, embedding FROM memory_entry e
          JOIN memory_vector v ON v.id = e.id
          WHERE \(condition) AND model = ? ORDER BY camera, view, block_start, position
          """, arguments: all)
      var entries: [StoredMemoryEntry] = []
      while let row = try rows.next() {
        let view: String = row[2]
        let embedding = try row.withUnsafeData(atIndex: 6) { Self.singlePrecision($0 ?? Data()) }
        entries.append(
          StoredMemoryEntry(
            id: row[0], camera: row[1], region: view.isEmpty ? nil : view, start: row[3], end: row[4], frames: row[5],
            embedding: embedding))
      }
      return entries
    }
  }

  /// The models the stored memory was made by, with their entry counts.
  public func memoryModels() throws(HistoryError) -> [String: Int] {
    try read { db in
      guard try db.tableExists("memory_entry") else { return [:] }
      return Dictionary(
        uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT model, count(*) AS n FROM memory_entry GROUP BY model")
          .map { ($0["model"] as String, $0["n"] as Int) })
    }
  }

  /// An entry's thumbnail (JPEG), or nil.
  public func memoryThumbnail(id: Int64) throws(HistoryError) -> [UInt8]? {
    try read { db in
      try Data.fetchOne(db, sql: "SELECT jpeg FROM memory_thumbnail WHERE id = ?", arguments: [id]).map { [UInt8]($0) }
    }
  }

  /// Deletes the entries `query` covers; returns how many.
  @discardableResult
  public func purgeMemory(_ query: MemoryQuery) throws(HistoryError) -> Int {
    let (condition, arguments) = query.condition
    do {
      return try pool.write { db in
        try db.execute(sql: "DELETE FROM memory_entry WHERE \(condition)", arguments: arguments)
        return db.changesCount
      }
    } catch {
      throw HistoryError("\(directory)/\(Self.fileName): memory not purged: \(Self.describe(error))")
    }
  }

  /// Bytes the memory holds (`bytes` of every row).
  public func memorySize() throws(HistoryError) -> Int {
    try read { db in try Int.fetchOne(db, sql: "SELECT coalesce(sum(bytes), 0) FROM memory_entry") ?? 0 }
  }

  /// Deletes entries older than the retention's age, then the oldest blocks
  /// until the memory fits its size. Returns the entries deleted.
  @discardableResult
  public func pruneMemory(_ retention: Retention, now: Double) throws(HistoryError) -> Int {
    var removed = try purgeMemory(MemoryQuery(until: now - retention.maximumAge - 1e-9))
    do {
      while case let excess = try memorySize() - retention.maximumBytes, excess > 0 {
        let deleted = try pool.write { db -> Int in
          // Whole oldest blocks, as many as cover the excess.
          let rows = try Row.fetchCursor(
            db, sql: "SELECT id, bytes FROM memory_entry ORDER BY block_start, camera, view, position")
          var (ids, freed) = ([Int64](), 0)
          while freed < excess, let row = try rows.next() {
            ids.append(row["id"])
            freed += row["bytes"] as Int
          }
          for id in ids { try db.execute(sql: "DELETE FROM memory_entry WHERE id = ?", arguments: [id]) }
          return ids.count
        }
        removed += deleted
        if deleted == 0 { break }
      }
    } catch let error as HistoryError {
      throw error
    } catch {
      throw HistoryError("\(directory)/\(Self.fileName): memory pruning failed: \(Self.describe(error))")
    }
    return removed
  }

  /// What each camera's memory holds. Its seconds: per block, from its
  /// first frame to its last (regions of the same block counted once).
  public func memoryUsage() throws(HistoryError) -> [MemoryUsage] {
    try read { db in
      guard try db.tableExists("memory_entry") else { return [] }
      return try Row.fetchAll(
        db,
        sql: """
          SELECT camera, sum(entries) AS entries, sum(bytes) AS bytes, sum(span) AS seconds, min(oldest) AS oldest
          FROM (SELECT camera, count(*) AS entries, sum(bytes) AS bytes, max("end") - min(start) AS span,
            min(start) AS oldest FROM memory_entry GROUP BY camera, block_start)
          GROUP BY camera ORDER BY camera
          """
      ).map {
        MemoryUsage(
          camera: $0["camera"], entries: $0["entries"], bytes: $0["bytes"], seconds: $0["seconds"],
          oldest: $0["oldest"])
      }
    }
  }
}
