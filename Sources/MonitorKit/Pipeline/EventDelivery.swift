import Core
import Foundation
import Video

/// Hands events to the sinks (log line, events file, MQTT with its fsync'd
/// outbox) on a thread of its own, encoding each snapshot as JPEG first, so
/// that disk and network never hold up the inference worker. Events keep
/// their order. The queue is bounded: if the sinks stall for so long that
/// `capacity` events wait, newer ones are dropped, counted and logged once
/// per stall (the outbox behind MQTT has its own, larger bound). Open
/// episodes are journaled around the sinks (`EpisodeJournal`).
public final class EventDelivery: @unchecked Sendable {
  public static let capacity = 10_000

  private let sinks: [any AlertSink]
  private let journal: EpisodeJournal?
  private let log: @Sendable (String) -> Void
  private let condition = NSCondition()
  private var pending: [PendingEvent] = []
  private let states: TemporalStateStore?
  /// Temporal states waiting to be written, the latest per camera.
  private var pendingStates: [CameraID: TemporalStateStore.Saved] = [:]
  private let memory: MemoryWriter?
  /// Memory blocks waiting to be stored, in order.
  private var pendingMemory: [MemoryBlock] = []
  private var closed = false
  private var finished = false
  /// Whether the queue overflowed since the sinks last took a batch (one log line per stall).
  private var stalled = false
  private var droppedCount = 0

  /// Dropped because `capacity` events were waiting, since start.
  public var dropped: Int {
    condition.lock()
    defer { condition.unlock() }
    return droppedCount
  }

  /// `journal`: open episodes on disk, so a crash never leaves one open (the daemon; replay has none).
  /// `states`: where cameras' temporal states are saved (the daemon; replay has none).
  /// `memory`: where cameras' memory blocks are stored (the daemon with `[memory]` on).
  public init(
    sinks: [any AlertSink], journal: EpisodeJournal? = nil, states: TemporalStateStore? = nil,
    memory: MemoryWriter? = nil, log: @escaping @Sendable (String) -> Void
  ) {
    self.sinks = sinks
    self.journal = journal
    self.states = states
    self.memory = memory
    self.log = log
  }

  public func start() {
    let thread = Thread { [self] in run() }
    thread.name = "delivery"
    thread.start()
  }

  /// Queues `events` (never blocks).
  public func enqueue(_ events: [PendingEvent]) {
    guard !events.isEmpty else { return }
    condition.lock()
    defer { condition.unlock() }
    for event in events {
      guard pending.count < Self.capacity else {
        if !stalled { log("event delivery stalled: \(Self.capacity) events waiting; dropping newer ones, counted") }
        stalled = true
        droppedCount += 1
        continue
      }
      pending.append(event)
    }
    condition.signal()
  }

  /// Queues cameras' temporal states to be saved (never blocks; a newer state replaces an older one).
  func save(_ saved: [(camera: CameraID, state: TemporalStateStore.Saved)]) {
    guard states != nil, !saved.isEmpty else { return }
    condition.lock()
    defer { condition.unlock() }
    for (camera, state) in saved { pendingStates[camera] = state }
    condition.signal()
  }

  /// Queues memory blocks to be stored (never blocks). Bounded like events:
  /// past `capacity` blocks waiting (the disk stalled for hours), newer ones are dropped.
  func store(_ blocks: [MemoryBlock]) {
    guard memory != nil, !blocks.isEmpty else { return }
    condition.lock()
    defer { condition.unlock() }
    pendingMemory += blocks.prefix(max(0, Self.capacity - pendingMemory.count))
    condition.signal()
  }

  /// Delivers what is queued, then ends the thread; waits up to `timeout` seconds.
  public func stop(timeout: Double) {
    condition.lock()
    closed = true
    condition.broadcast()
    let deadline = Date().addingTimeInterval(timeout)
    while !finished && condition.wait(until: deadline) {}
    condition.unlock()
  }

  private func run() {
    let snapshots = JPEGEncoder()
    while let (batch, saved, blocks) = next() {
      if !blocks.isEmpty { memory?.store(blocks) }
      if !saved.isEmpty { states?.save(saved.sorted { $0.key.index < $1.key.index }.map { ($0.key, $0.value) }) }
      for pending in batch {
        var event = pending.event
        if let best = pending.snapshot {
          event.snapshotState = best.encodedState
          do {
            event.snapshot = try snapshots.encode(best.picture)
          } catch {
            log("event \(event.id): snapshot not encoded: \(error)")
          }
        }
        if !event.hasEnded { journal?.opened(event) }  // before any sink: see EpisodeJournal
        for sink in sinks { sink.deliver(event) }
        if event.kind == .end { journal?.closed(event) }
      }
    }
    condition.lock()
    finished = true
    condition.broadcast()
    condition.unlock()
  }

  /// Everything queued, waiting for some; nil once closed and drained.
  private func next() -> ([PendingEvent], [CameraID: TemporalStateStore.Saved], [MemoryBlock])? {
    condition.lock()
    defer { condition.unlock() }
    while pending.isEmpty && pendingStates.isEmpty && pendingMemory.isEmpty && !closed { condition.wait() }
    if pending.isEmpty && pendingStates.isEmpty && pendingMemory.isEmpty { return nil }
    stalled = false
    defer { (pending, pendingStates, pendingMemory) = ([], [:], []) }
    return (pending, pendingStates, pendingMemory)
  }
}
