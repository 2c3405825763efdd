import Core

/// An `AlertSink` that keeps every event for assertions.
public final class RecordingSink: AlertSink {
  private let recorder = Recorder<AlertEvent>()
  public init() {}
  public func deliver(_ event: AlertEvent) { recorder.append(event) }
  public var events: [AlertEvent] { recorder.all }
}
