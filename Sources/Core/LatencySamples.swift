/// Latencies collected over one reporting interval (stats every 30 s), with
/// percentiles. Bounded: past `capacity` samples a new one replaces a slot
/// chosen round-robin, so a flood costs no memory and the percentiles still
/// describe the interval.
public struct LatencySamples: Sendable, Equatable {
  public private(set) var seconds: [Double] = []
  /// Samples offered this interval, including those that replaced others.
  public private(set) var count = 0
  public let capacity: Int

  public init(capacity: Int = 8192) {
    precondition(capacity > 0)
    self.capacity = capacity
  }

  public mutating func add(_ latency: Double) {
    if seconds.count < capacity {
      seconds.append(latency)
    } else {
      seconds[count % capacity] = latency
    }
    count += 1
  }

  /// Adds the time elapsed since `instant`.
  public mutating func add(since instant: ContinuousClock.Instant) { add(ContinuousClock.now - instant) }

  public mutating func add(_ elapsed: Duration) {
    add(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
  }

  /// The samples so far, and an empty interval in their place.
  public mutating func take() -> LatencySamples {
    defer { self = LatencySamples(capacity: capacity) }
    return self
  }

  /// Nearest-rank percentile (`p` in 0...100) in seconds; nil without samples.
  public func percentile(_ p: Double) -> Double? {
    Self.percentile(p, of: seconds)
  }

  public static func percentile(_ p: Double, of samples: [Double]) -> Double? {
    guard !samples.isEmpty else { return nil }
    let sorted = samples.sorted()
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
  }
}
