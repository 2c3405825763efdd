/// Turns each connection's raw PTS into one timeline per source that starts at
/// 0 and only moves forward, across reconnects, file loops and streams whose
/// timestamps jump back (camera reboot, RTP wrap). Pure.
public struct Timeline: Sendable {
  public init() {}
  private var offset: Double?
  private var pendingGap: Double?
  public private(set) var last: Double?

  /// The next raw PTS starts a new segment, placed `gap` seconds after the
  /// last frame of the previous one (real outage time, or a frame interval
  /// for a file loop).
  public mutating func beginSegment(gap: Double) {
    pendingGap = max(gap, 0)
    offset = nil
  }

  /// Maps a raw PTS (seconds) of the current segment; `minStep` is the
  /// smallest forward step allowed when the raw clock goes backwards.
  public mutating func map(raw: Double, minStep: Double) -> Double {
    if offset == nil {
      let start = last.map { $0 + max(pendingGap ?? minStep, minStep) } ?? 0
      offset = start - raw
      pendingGap = nil
    }
    var pts = raw + offset!
    if let last, pts <= last {
      // The raw clock went backwards or stood still: re-anchor just after the last frame.
      offset! += last + minStep - pts
      pts = last + minStep
    }
    last = pts
    return pts
  }
}
