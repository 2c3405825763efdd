/// A camera picture kept by reference until an alert needs it. Converting
/// every sampled frame to a snapshot cost the reader threads a conversion and
/// the queue a 0.7 MB copy per frame although only an episode's best frame is
/// ever shown; the source holds the decoded picture (shared with the decoder,
/// no copy) and renders it only when asked.
public struct SnapshotSource: Sendable {
  private let render: @Sendable () -> Picture?

  /// `render` converts the held picture; it may run on any thread, any number of times.
  public init(render: @escaping @Sendable () -> Picture?) { self.render = render }

  /// The snapshot picture, nil when the held picture cannot be converted.
  public func picture() -> Picture? { render() }
}
