/// Which outbox entries to drop when it is over capacity: stale `update`s
/// first (oldest first), never `new` or `end` until a hard limit of four
/// times the capacity, past which the oldest entries go. Pure.
public struct OutboxPolicy: Sendable, Equatable {
  public enum Kind: String, Sendable { case new, update, end, other }

  public var capacity: Int

  public init(capacity: Int) {
    precondition(capacity > 0)
    self.capacity = capacity
  }

  /// Sequence numbers to drop from `entries` (oldest first, in order).
  public func drops(_ entries: [(sequence: UInt64, kind: Kind)]) -> [UInt64] {
    guard entries.count > capacity else { return [] }
    var excess = entries.count - capacity
    var dropped: [UInt64] = []
    for entry in entries where excess > 0 && entry.kind == .update {
      dropped.append(entry.sequence)
      excess -= 1
    }
    let remaining = entries.count - dropped.count
    if remaining > 4 * capacity {
      var over = remaining - 4 * capacity
      for entry in entries where over > 0 && !dropped.contains(entry.sequence) {
        dropped.append(entry.sequence)
        over -= 1
      }
    }
    return dropped
  }
}
