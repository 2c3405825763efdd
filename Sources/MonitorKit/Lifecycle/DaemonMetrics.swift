import Core
import CoreMetrics
import Synchronization

/// The daemon's numbers for `GET /metrics`, counted through the swift-metrics
/// facade (the HTTP API supplies a Prometheus factory; without the API, a
/// no-op one). Names and labels are the README's ("HTTP API", "Metrics").
/// What happens on the inference and delivery threads is counted where it
/// happens; totals other modules keep (the decoder's frames and reconnects,
/// the queue's drops, the outbox) are brought in by `refresh` before each scrape.
final class DaemonMetrics: Sendable {
  private struct Camera: Sendable {
    let frameLatency: Timer
    let embedded: Counter
    let still: Counter
    let decoded: Counter
    let dropped: Counter
    let reconnects: Counter
    let connected: Gauge
  }

  /// Totals since start that `refresh` copies in (counters only move forward).
  struct Totals: Sendable {
    var cameras: [String: (decoded: Int, dropped: Int, reconnects: Int, connected: Bool)]
    var eventsDropped: Int
    var outboxQueued: Int?
    var brokerConnected: Bool?
    var rules: Int
  }

  private let factory: any MetricsFactory
  private let cameras: [String: Camera]
  private let cameraOrder: [String]
  private let eventLatency: Timer
  private let eventsDropped: Counter
  /// nil without MQTT.
  private let outboxQueued: Gauge?
  private let brokerConnected: Gauge?
  private let rules: Gauge
  private let residentBytes: Gauge
  /// Memory blocks written to the history database, and those that could not be.
  private let memoryStored: Counter
  private let memoryFailed: Counter
  private let episodes = Mutex<[String: Counter]>([:])
  /// The totals last copied in, to increment counters by the difference.
  private let copied = Mutex<[Int]>([])

  init(factory: any MetricsFactory, cameras: [String], mqtt: Bool) {
    self.factory = factory
    cameraOrder = cameras
    self.cameras = Dictionary(
      uniqueKeysWithValues: cameras.map { name in
        let camera = [("camera", name)]
        return (
          name,
          Camera(
            frameLatency: Timer(label: "monitor_frame_latency_seconds", dimensions: camera, factory: factory),
            embedded: Counter(label: "monitor_frames_embedded_total", dimensions: camera, factory: factory),
            still: Counter(label: "monitor_frames_still_total", dimensions: camera, factory: factory),
            decoded: Counter(label: "monitor_frames_decoded_total", dimensions: camera, factory: factory),
            dropped: Counter(label: "monitor_frames_dropped_total", dimensions: camera, factory: factory),
            reconnects: Counter(label: "monitor_camera_reconnects_total", dimensions: camera, factory: factory),
            connected: Gauge(label: "monitor_camera_connected", dimensions: camera, factory: factory))
        )
      })
    eventLatency = Timer(label: "monitor_event_latency_seconds", factory: factory)
    eventsDropped = Counter(label: "monitor_events_dropped_total", factory: factory)
    outboxQueued = mqtt ? Gauge(label: "monitor_outbox_queued", factory: factory) : nil
    brokerConnected = mqtt ? Gauge(label: "monitor_broker_connected", factory: factory) : nil
    rules = Gauge(label: "monitor_rules", factory: factory)
    residentBytes = Gauge(label: "monitor_resident_memory_bytes", factory: factory)
    memoryStored = Counter(label: "monitor_memory_blocks_stored_total", factory: factory)
    memoryFailed = Counter(label: "monitor_memory_blocks_failed_total", factory: factory)
  }

  /// Inference thread: one frame scored, `still` ones without CLIP.
  func scored(camera: CameraID, still: Bool, decodedAt: ContinuousClock.Instant) {
    guard let metrics = cameras[camera.name] else { return }
    (still ? metrics.still : metrics.embedded).increment()
    metrics.frameLatency.recordNanoseconds(Self.nanoseconds(ContinuousClock.now - decodedAt))
  }

  /// MQTT's network thread: an event the broker acknowledged, `elapsed` after its frame was decoded.
  /// A memory block stored (or, `stored` false, refused by the database); delivery thread.
  func memoryBlock(stored: Bool) { (stored ? memoryStored : memoryFailed).increment() }

  func acknowledged(after elapsed: Duration) { eventLatency.recordNanoseconds(Self.nanoseconds(elapsed)) }

  private static func nanoseconds(_ duration: Duration) -> Int64 {
    duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
  }

  /// Delivery thread: an episode began.
  func episodeStarted(camera: String, rule: String) {
    episodes.withLock { counters in
      let key = camera + "\u{0}" + rule
      if counters[key] == nil {
        counters[key] = Counter(
          label: "monitor_episodes_total", dimensions: [("camera", camera), ("rule", rule)], factory: factory)
      }
      return counters[key]!
    }.increment()
  }

  /// Before a scrape: copies in the totals and gauges kept elsewhere.
  func refresh(_ totals: Totals) {
    let perCamera = cameraOrder.compactMap { name in
      cameras[name].flatMap { camera in totals.cameras[name].map { (camera, $0) } }
    }
    let counters =
      perCamera.flatMap { camera, total in
        [(camera.decoded, total.decoded), (camera.dropped, total.dropped), (camera.reconnects, total.reconnects)]
      } + [(eventsDropped, totals.eventsDropped)]
    copied.withLock { last in
      if last.count != counters.count { last = Array(repeating: 0, count: counters.count) }
      for (index, (counter, total)) in counters.enumerated() where total > last[index] {
        counter.increment(by: Int64(total - last[index]))
        last[index] = total
      }
    }
    for (camera, total) in perCamera { camera.connected.record(total.connected ? 1 : 0) }
    if let queued = totals.outboxQueued { outboxQueued?.record(queued) }
    if let connected = totals.brokerConnected { brokerConnected?.record(connected ? 1 : 0) }
    rules.record(totals.rules)
    residentBytes.record(ResidentMemory.bytes())
  }
}

/// Counts episodes per camera and rule as they begin (a sink, so it sees
/// exactly what the other sinks deliver, on the delivery thread).
final class EpisodeMetricsSink: AlertSink {
  private let metrics: DaemonMetrics
  init(metrics: DaemonMetrics) { self.metrics = metrics }
  func deliver(_ event: AlertEvent) {
    if event.kind == .new { metrics.episodeStarted(camera: event.camera, rule: event.rule) }
  }
}
