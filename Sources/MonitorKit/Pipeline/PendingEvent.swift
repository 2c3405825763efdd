import Core

/// An event as the inference worker produces it: the episode's best picture
/// still raw, so that JPEG encoding happens on the delivery thread, never on
/// the inference thread (`EventDelivery`).
public struct PendingEvent: Sendable {
  public var event: AlertEvent
  public var snapshot: BestFrame?

  public init(event: AlertEvent, snapshot: BestFrame?) {
    self.event = event
    self.snapshot = snapshot
  }
}
