/// Picks frames at a target rate by PTS (not by count, so variable-rate
/// cameras and dropped frames are handled). Pure.
public struct FrameSampler: Sendable {
  /// Seconds between delivered frames; `nil` delivers every frame.
  public let interval: Double?
  private var nextDue: Double?
  /// Timestamps jitter; a frame this close before its slot still takes it.
  private static let tolerance = 1e-3

  /// `fps` of `nil` or ≤ 0 passes every frame.
  public init(fps: Double?) {
    if let fps, fps > 0 { interval = 1 / fps } else { interval = nil }
  }

  /// Whether the frame at `pts` (seconds, increasing) should be delivered.
  public mutating func accept(pts: Double) -> Bool {
    guard let interval else { return true }
    guard let due = nextDue else {
      nextDue = pts + interval
      return true
    }
    if pts + Self.tolerance < due { return false }
    // Keep to the grid (steady 2 fps from 25 fps), but after a gap longer than
    // one slot restart the grid here rather than bursting to catch up.
    let next = due + interval
    nextDue = next > pts + Self.tolerance ? next : pts + interval
    return true
  }
}
