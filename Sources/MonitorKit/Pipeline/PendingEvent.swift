import Core

/// An event as the inference worker produces it: the episode's best frame
/// still raw, so that JPEG encoding happens on the delivery thread, never on
/// the inference thread (`EventDelivery`).
public struct PendingEvent: Sendable {
  public var event: AlertEvent
  public var snapshot: Frame?

  public init(event: AlertEvent, snapshot: Frame?) {
    self.event = event
    self.snapshot = snapshot
  }
}
