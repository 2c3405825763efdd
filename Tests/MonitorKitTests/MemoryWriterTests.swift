import Core
import Foundation
import TestSupport
import Testing

@testable import History
@testable import MonitorKit

/// A memory the disk refuses costs the memory, never the daemon: logged once,
/// counted, and stored again (said once) when the disk recovers.
@Suite struct MemoryWriterTests {
  static func block(start: Double, entries: Int) -> MemoryBlock {
    var memory = BlockedMemory<Picture>(blockSeconds: 60, capacity: 8)
    let picture = Picture(width: 8, height: 8, pixels: [UInt8](repeating: 128, count: 8 * 8 * 3))
    for n in 0..<entries {
      var embedding = [Float](repeating: 0, count: 512)
      embedding[n] = 1
      _ = memory.add(embedding, time: start + Double(n), keepsake: picture)
    }
    return MemoryBlock("porch", .whole, memory.current!)
  }

  @Test func aFullDiskIsLoggedOnceAndCounted() throws {
    let history = try EventHistory(directory: try Repository.temporaryDirectory("memory-writer").path)
    let log = Recorder<String>()
    let counts = Recorder<Bool>()
    let writer = MemoryWriter(
      history: history, model: "m", retention: Retention(), log: { log.append($0) }, counted: { counts.append($0) })
    writer.store([Self.block(start: 0, entries: 8)], now: 100)
    #expect(try history.memoryEntries(MemoryQuery(), model: "m").count == 8)
    // No page beyond those in use (the episodes' and the memory's): the next block finds the disk full.
    try history.capPages((try history.memorySize() + history.size()) / 4096)
    for minute in 1...5 { writer.store([Self.block(start: Double(minute) * 60, entries: 8)], now: 100) }
    #expect(log.all.count == 1 && log.all[0].hasPrefix("memory: ") && log.all[0].contains("not stored"), "\(log.all)")
    #expect(counts.all == [true, false, false, false, false, false])
    try history.capPages(nil)
    writer.store([Self.block(start: 600, entries: 8)], now: 100)
    #expect(log.all.last == "memory: storing again; 5 block(s) were not stored", "\(log.all)")
    #expect(try history.memoryEntries(MemoryQuery(), model: "m").map(\.start).last == 607)
  }
}
