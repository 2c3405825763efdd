/// When to reconnect a live source: exponential backoff with jitter, reset
/// once a connection has proven stable. A pure state machine: the caller
/// feeds it what happened (with the time) and performs the action it returns.
public struct ReconnectBackoff: Sendable, Equatable {
  public struct Policy: Sendable, Equatable {
    /// Delay before the first retry, seconds.
    public var initial: Double = 1
    /// The delay doubles per failed attempt up to this, seconds.
    public var maximum: Double = 30
    public var multiplier: Double = 2
    /// Each delay is shortened by up to this fraction at random, so a fleet of
    /// cameras behind one failed switch does not reconnect in lockstep.
    public var jitter: Double = 0.2
    /// A connection that delivered frames for this long resets the backoff.
    public var stableAfter: Double = 10

    public init() {}
    public init(
      initial: Double, maximum: Double, multiplier: Double = 2, jitter: Double = 0.2, stableAfter: Double = 10
    ) {
      precondition(initial > 0 && maximum >= initial && multiplier >= 1 && (0..<1).contains(jitter))
      self.initial = initial
      self.maximum = maximum
      self.multiplier = multiplier
      self.jitter = jitter
      self.stableAfter = stableAfter
    }
  }

  public enum Action: Sendable, Equatable {
    /// Try to connect again after this many seconds.
    case reconnect(after: Double)
  }

  public let policy: Policy
  /// Failed attempts since the last stable connection.
  public private(set) var failures = 0
  private var firstFrameAt: Double?

  public init(policy: Policy = Policy()) { self.policy = policy }

  /// A connection was opened.
  public mutating func connected(at now: Double) { firstFrameAt = nil }

  /// A frame arrived on the current connection.
  public mutating func frameReceived(at now: Double) {
    if firstFrameAt == nil { firstFrameAt = now }
  }

  /// Opening failed, or an open connection failed, ended or stalled.
  /// `random` is uniform in [0, 1) and picks the jitter.
  public mutating func failed(at now: Double, random: Double) -> Action {
    if let first = firstFrameAt, now - first >= policy.stableAfter { failures = 0 }
    firstFrameAt = nil
    var base = policy.initial
    for _ in 0..<failures {
      base *= policy.multiplier
      if base >= policy.maximum { break }
    }
    base = min(base, policy.maximum)
    failures += 1
    return .reconnect(after: base * (1 - policy.jitter * random))
  }
}
