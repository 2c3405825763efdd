/// Counters of one source since it started, for the stats topic and tests.
public struct SourceStats: Sendable, Equatable {
  /// Pictures the decoder produced.
  public var decoded = 0
  /// Frames handed to the caller (after sampling).
  public var delivered = 0
  /// Damaged packets or frames skipped.
  public var damaged = 0
  /// Connections lost (error, end of a live stream, stall) and retried.
  public var reconnects = 0
  /// Times a file source started again from its beginning.
  public var loops = 0
  /// Whether a connection is open now.
  public var connected = false
  /// The last failure, masked, for status displays.
  public var lastError: String?

  public init() {}
}
