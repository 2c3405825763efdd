import Core

/// One camera view's long-term memory for a fixed block of time, in constant
/// memory: MA-LMM's memory bank compression (He et al., 2024). Every sampled
/// frame's embedding joins the bank as an entry of its own; once the bank holds
/// more than `capacity` entries, the two temporally adjacent entries whose mean
/// embeddings are most alike (cosine) merge into one: their means weighted by
/// the frames each holds, their time spans joined. A still stretch (an empty
/// driveway) collapses into one entry while every change keeps entries of its
/// own, however long the block.
///
/// Each entry keeps one frame to show (`Keepsake`: a thumbnail in the daemon):
/// of the frames merged, the one whose embedding is nearest the entry's mean.
public struct MemoryBank<Keepsake: Sendable>: Sendable {
  public struct Entry: Sendable {
    /// First and last frame time, seconds.
    public var start: Double
    public var end: Double
    public var frames: Int
    /// Mean of the frames' embeddings (not normalised).
    public var mean: [Float]
    /// The frame shown for this entry and its embedding.
    public var keepsake: Keepsake
    var keepsakeEmbedding: [Float]
  }

  public let capacity: Int
  public private(set) var entries: [Entry] = []

  public init(capacity: Int) {
    precondition(capacity >= 1, "a memory bank holds at least one entry")
    self.capacity = capacity
  }

  /// Adds one frame (times must not decrease); merges once when over capacity.
  public mutating func add(_ embedding: [Float], time: Double, keepsake: Keepsake) {
    entries.append(
      Entry(start: time, end: time, frames: 1, mean: embedding, keepsake: keepsake, keepsakeEmbedding: embedding))
    guard entries.count > capacity else { return }
    var best = 0
    var bestSimilarity = -Double.infinity
    for i in 0..<(entries.count - 1) {
      let similarity = Embedding.cosine(entries[i].mean, entries[i + 1].mean)
      if similarity > bestSimilarity { (best, bestSimilarity) = (i, similarity) }
    }
    entries[best] = Self.merge(entries[best], entries[best + 1])
    entries.remove(at: best + 1)
  }

  static func merge(_ a: Entry, _ b: Entry) -> Entry {
    let total = a.frames + b.frames
    let (wa, wb) = (Float(a.frames) / Float(total), Float(b.frames) / Float(total))
    var mean = a.mean
    for i in mean.indices { mean[i] = wa * a.mean[i] + wb * b.mean[i] }
    let keepA = Embedding.cosine(a.keepsakeEmbedding, mean) >= Embedding.cosine(b.keepsakeEmbedding, mean)
    return Entry(
      start: a.start, end: b.end, frames: total, mean: mean, keepsake: keepA ? a.keepsake : b.keepsake,
      keepsakeEmbedding: keepA ? a.keepsakeEmbedding : b.keepsakeEmbedding)
  }
}

/// A camera view's memory cut into fixed blocks of `blockSeconds`, aligned to
/// multiples of it in the clock the times come from (wall-clock seconds in
/// the daemon: blocks start on the minute), each compressed by its own
/// `MemoryBank`. `add` returns the block a frame closed, for storage.
public struct BlockedMemory<Keepsake: Sendable>: Sendable {
  public struct Block: Sendable {
    public var start: Double
    public var entries: [MemoryBank<Keepsake>.Entry]
  }

  public let blockSeconds: Double
  public let capacity: Int
  private var blockStart: Double?
  private var bank: MemoryBank<Keepsake>

  public init(blockSeconds: Double, capacity: Int) {
    precondition(blockSeconds > 0, "memory blocks last a positive time")
    self.blockSeconds = blockSeconds
    self.capacity = capacity
    bank = MemoryBank(capacity: capacity)
  }

  /// The block in progress (nil before the first frame).
  public var current: Block? { blockStart.map { Block(start: $0, entries: bank.entries) } }

  /// Adds one frame; returns the block it closed when it falls in a later block.
  public mutating func add(_ embedding: [Float], time: Double, keepsake: Keepsake) -> Block? {
    let start = (time / blockSeconds).rounded(.down) * blockSeconds
    var closed: Block?
    if let blockStart, start > blockStart {
      closed = current
      bank = MemoryBank(capacity: capacity)
    }
    // A clock stepped back keeps adding to the block in progress (never
    // replacing a stored block that started at the same time).
    blockStart = max(blockStart ?? start, start)
    bank.add(embedding, time: time, keepsake: keepsake)
    return closed
  }
}
