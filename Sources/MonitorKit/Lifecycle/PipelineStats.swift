import Core
import Foundation

/// One reporting interval of the pipeline (the `<prefix>/stats` message and
/// `monitor-bench pipeline`): per camera what was decoded, embedded and
/// dropped and how long a sampled frame took from the decoder to its scores,
/// and how long events took from their frame's decode to the broker's PUBACK.
public struct PipelineStats: Sendable {
  public struct Camera: Sendable {
    public var name: String
    public var connected: Bool
    /// Totals since start.
    public var decoded: Int
    public var embedded: Int
    public var dropped: Int
    public var reconnects: Int
    /// Decoded → scored, for frames scored this interval.
    public var latency: LatencySamples
  }

  /// Seconds this interval covered.
  public var interval: Double
  public var cameras: [Camera]
  /// Decoded → PUBACK, for events acknowledged this interval (empty without MQTT).
  public var eventLatency: LatencySamples
  public var residentBytes: Int
  /// Events dropped because delivery stalled (`EventDelivery.capacity` waiting), since start.
  public var eventsDropped = 0

  /// The stats message (README.md, "MQTT"): numbers per camera, latencies in milliseconds.
  public var json: [String: Any] {
    func milliseconds(_ samples: LatencySamples, _ p: Double) -> Any {
      samples.percentile(p).map { ($0 * 1e4).rounded() / 10 } ?? NSNull()
    }
    var cameras: [String: Any] = [:]
    for camera in self.cameras {
      cameras[camera.name] =
        [
          "connected": camera.connected, "decoded": camera.decoded, "embedded": camera.embedded,
          "dropped": camera.dropped, "reconnects": camera.reconnects,
          "embeds_per_s": interval > 0 ? (Double(camera.latency.count) / interval * 100).rounded() / 100 : 0,
          "latency_p50_ms": milliseconds(camera.latency, 50), "latency_p99_ms": milliseconds(camera.latency, 99),
        ] as [String: Any]
    }
    return [
      "cameras": cameras, "rss_bytes": residentBytes, "interval_s": (interval * 10).rounded() / 10,
      "event_latency_p50_ms": milliseconds(eventLatency, 50), "event_latency_p99_ms": milliseconds(eventLatency, 99),
      "events_dropped": eventsDropped,
    ]
  }
}
