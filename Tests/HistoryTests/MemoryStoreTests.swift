import Foundation
import TestSupport
import Testing

@testable import History

@Suite struct MemoryStoreTests {
  static func record(_ start: Double, _ value: Float, thumbnail: Int = 100) -> MemoryRecord {
    MemoryRecord(
      start: start, end: start + 10, frames: 20, embedding: [value, 1 - value, 0.5],
      thumbnail: [UInt8](repeating: 0xFF, count: thumbnail))
  }

  /// A block saved again (the daemon saves the block in progress) replaces
  /// what was stored for it; reads filter by camera, time and model, and the
  /// embeddings come back as stored (bfloat16: these values are exact in it).
  @Test func storesReplacesAndQueries() throws {
    let history = try EventHistory(directory: try Repository.temporaryDirectory("memory").path)
    try history.storeMemory(
      camera: "porch", region: nil, blockStart: 0, model: "m1", entries: [Self.record(0, 0.125)])
    try history.storeMemory(
      camera: "porch", region: nil, blockStart: 0, model: "m1", entries: [Self.record(0, 0.25), Self.record(20, 0.375)])
    try history.storeMemory(camera: "porch", region: "door", blockStart: 0, model: "m1", entries: [Self.record(0, 0.5)])
    try history.storeMemory(
      camera: "yard", region: nil, blockStart: 120, model: "m1", entries: [Self.record(130, 0.625)])
    try history.storeMemory(
      camera: "yard", region: nil, blockStart: 240, model: "m2", entries: [Self.record(250, 0.75)])

    let all = try history.memoryEntries(MemoryQuery(), model: "m1")
    #expect(all.map(\.embedding) == [[0.25, 0.75, 0.5], [0.375, 0.625, 0.5], [0.5, 0.5, 0.5], [0.625, 0.375, 0.5]])
    #expect(all.map(\.region) == [nil, nil, "door", nil])
    #expect(all[1].start == 20 && all[1].end == 30 && all[1].frames == 20)
    #expect(try history.memoryEntries(MemoryQuery(camera: "yard"), model: "m1").count == 1)
    #expect(try history.memoryEntries(MemoryQuery(since: 25), model: "m1").map(\.start) == [20, 130])
    #expect(try history.memoryEntries(MemoryQuery(until: 15), model: "m1").map(\.start) == [0, 0])
    #expect(try history.memoryEntries(MemoryQuery(), model: "m2").map(\.start) == [250])
    #expect(try history.memoryModels() == ["m1": 4, "m2": 1])
    #expect(try history.memoryThumbnail(id: all[0].id)?.count == 100)
    #expect(try history.memoryThumbnail(id: 9_999) == nil)

    #expect(try history.purgeMemory(MemoryQuery(camera: "porch", since: 15)) == 1)
    #expect(try history.memoryEntries(MemoryQuery(camera: "porch"), model: "m1").map(\.start) == [0, 0])
    let usage = try history.memoryUsage()
    #expect(usage.map(\.camera) == ["porch", "yard"])
    #expect(usage[0].entries == 2 && usage[0].seconds == 10 && usage[1].seconds == 20)
    #expect(try history.integrityCheck() == "ok")
  }

  /// Embeddings are kept in bfloat16: each component within half a unit in the last of its 8 bits.
  @Test func embeddingsRoundTripInBFloat16() {
    let values: [Float] = [0, -0, 1, -1, 0.1, -0.333, 3.14159, 1e-20, 65_504, 0.0441941738]
    let back = EventHistory.singlePrecision(EventHistory.halfPrecision(values))
    for (value, stored) in zip(values, back) {
      #expect(abs(stored - value) <= abs(value) / 256, "\(value) → \(stored)")
    }
    #expect(EventHistory.halfPrecision(values).count == 2 * values.count)
  }

  /// Age first, then whole oldest blocks until the memory fits; the memory's
  /// bytes never count against the episodes' own bound.
  @Test func retentionBoundsAgeAndSize() throws {
    let history = try EventHistory(directory: try Repository.temporaryDirectory("memory").path)
    for block in 0..<10 {
      let start = Double(block) * 120
      try history.storeMemory(
        camera: "porch", region: nil, blockStart: start, model: "m",
        entries: [Self.record(start, 0.1, thumbnail: 4_000), Self.record(start + 60, 0.2, thumbnail: 4_000)])
    }
    // The entry's row, its bfloat16 vector's, its thumbnail's (which spills into an overflow page).
    let rowBytes = EventHistory.entryBytes(dimension: 3, thumbnail: 4_000)
    #expect(rowBytes == 96 + (6 + 96) + 489 + 4_096)
    #expect(EventHistory.storedBytes(payload: 4_000) == 489 + 4_096)
    #expect(try history.memorySize() == 10 * 2 * rowBytes)
    // The episodes' size (none here) is the database less the memory: the
    // empty tables' and indexes' pages (~36 kB), not the memory's 92 kB on top.
    #expect(try history.size() < 48_000)
    // Entries ending before 1 200 − 1 000 s are older than the age bound: blocks 0 and 1 go.
    #expect(try history.pruneMemory(Retention(maximumAge: 1_000, maximumBytes: 1 << 30), now: 1_200) == 4)
    #expect(try history.memoryEntries(MemoryQuery(), model: "m").first?.start == 240)
    // Room for three blocks: the oldest five of the eight left go, whole.
    #expect(try history.pruneMemory(Retention(maximumAge: 1e9, maximumBytes: 3 * 2 * rowBytes + 100), now: 1_200) == 10)
    #expect(try history.memoryEntries(MemoryQuery(), model: "m").map(\.start) == [840, 900, 960, 1_020, 1_080, 1_140])
  }
}
