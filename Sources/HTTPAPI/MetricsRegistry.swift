import CoreMetrics
import Prometheus

/// The daemon's metrics as Prometheus text. The daemon counts through the
/// swift-metrics facade (`factory`), so nothing outside this module knows the
/// exposition format; `GET /metrics` renders `text()`.
public final class MetricsRegistry: Sendable {
  private let registry = PrometheusCollectorRegistry()
  public let factory: any MetricsFactory

  public init() {
    var factory = PrometheusMetricsFactory(registry: registry)
    // Frame and event latencies: from tens of milliseconds (a small model) to
    // seconds (a box that cannot keep up); the default buckets stop at 10 s.
    factory.defaultDurationHistogramBuckets = [
      .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
      .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10), .seconds(30),
    ]
    self.factory = factory
  }

  /// Prometheus text exposition format 0.0.4.
  public func text() -> String { registry.emitToString() }
}
