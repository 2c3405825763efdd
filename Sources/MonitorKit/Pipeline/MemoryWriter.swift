import Core
import Foundation
import History
import Video

/// Stores camera memory blocks in the history database on the delivery
/// thread: thumbnails encoded as JPEG here (never on the inference thread),
/// each block written whole, replacing what an earlier save of the same
/// block stored. Retention runs at start and then hourly. A failure (full
/// disk, damaged database) costs the memory, never an event: logged once,
/// counted, retried with the next block.
public final class MemoryWriter: @unchecked Sendable {
  private let history: EventHistory
  private let model: String
  private let retention: Retention
  private let log: @Sendable (String) -> Void
  /// Each block stored (true) or refused (false), for the metrics.
  private let counted: @Sendable (Bool) -> Void
  private let thumbnails = JPEGEncoder(quality: 75)
  private var unstored = 0
  private var lastPrune = -Double.infinity

  init(
    history: EventHistory, model: String, retention: Retention, log: @escaping @Sendable (String) -> Void,
    counted: @escaping @Sendable (Bool) -> Void = { _ in }
  ) {
    self.counted = counted
    self.history = history
    self.model = model
    self.retention = retention
    self.log = log
  }

  /// Delivery thread.
  func store(_ blocks: [MemoryBlock], now: Double = Date().timeIntervalSince1970) {
    if now - lastPrune >= HistoryRecorder.pruneInterval { prune(now: now) }
    for block in blocks {
      let records = block.block.entries.map { entry in
        MemoryRecord(
          start: entry.start, end: entry.end, frames: entry.frames, embedding: entry.mean,
          thumbnail: try? thumbnails.encode(entry.keepsake))
      }
      do {
        try history.storeMemory(
          camera: block.camera, region: block.view.regionName, blockStart: block.block.start, model: model,
          entries: records)
        if unstored > 0 { log("memory: storing again; \(unstored) block(s) were not stored") }
        unstored = 0
        counted(true)
      } catch {
        if unstored == 0 { log("memory: \(error) (more are counted)") }
        unstored += 1
        counted(false)
      }
    }
  }

  private func prune(now: Double) {
    lastPrune = now
    do {
      let removed = try history.pruneMemory(retention, now: now)
      if removed > 0 { log("memory: retention removed \(removed) entr\(removed == 1 ? "y" : "ies")") }
    } catch {
      log("memory: \(error)")
    }
  }
}
