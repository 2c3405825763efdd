/// The "what held before" half of a transition rule on one camera: a fall is
/// "a person lying on the floor" shortly after "a person standing", a parcel
/// taken is "an empty doorstep" shortly after "a parcel at the door". Frame
/// by frame it is told whether `before` holds and whether `text` matches;
/// a match may open an episode only if `before` held within `within`
/// seconds before the match began (at an earlier frame: the present frame
/// shows the new state, not the old one). Constant memory: the last time
/// `before` held and the verdict of the current match. Pure.
public struct TransitionGate: Sendable {
  public var within: Double
  /// Stream time of the last frame at which `before` held.
  public private(set) var lastHeld: Double?
  /// Whether the previous frame matched (a match continues).
  private var matching = false
  /// When `before` last held before the current match began, if within `within`.
  private var heldBeforeMatch: Double?

  public init(within: Double) { self.within = within }

  /// One frame at stream time `time`. Returns whether the present match
  /// (if `matches`) may open an episode, and when `before` held before it.
  public mutating func observe(time: Double, beforeHolds: Bool, matches: Bool) -> (mayOpen: Bool, beforeHeld: Double?) {
    defer { if beforeHolds { lastHeld = time } }
    guard matches else {
      matching = false
      heldBeforeMatch = nil
      return (false, nil)
    }
    if !matching {
      matching = true
      heldBeforeMatch = lastHeld.flatMap { time - $0 <= within ? $0 : nil }
    }
    return (heldBeforeMatch != nil, heldBeforeMatch)
  }
}
