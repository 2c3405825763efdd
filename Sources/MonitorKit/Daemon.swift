import Alerts
import Core
import Foundation
import Rules
import Synchronization
import Tensor
import Video

/// The running monitor: one reader thread per camera (decode, sample, motion
/// gate) feeding one inference worker through a bounded queue; the worker
/// embeds frames of several cameras in one batch, advances each camera's
/// temporal state, scores the rules and hands events to the sinks. One camera
/// failing never affects the others. `stop()` ends sources, finishes queued
/// frames and closes open episodes with `end`.
public final class Daemon: @unchecked Sendable {
  public let configuration: Configuration
  private let engine: Engine
  private var sinks: [any AlertSink]
  /// nil when `[mqtt] enabled = false`.
  public let publisher: MQTTPublisher?
  private let log: @Sendable (String) -> Void
  private let queue: FrameQueue
  private let watcher: RuleWatcher
  private let rules = CurrentRules()
  /// By camera index (a camera whose source cannot be made has none).
  private var sources: [Int: VideoSource] = [:]
  private var readers: [Thread] = []
  private let workerDone = DispatchSemaphore(value: 0)
  private let embedded = Mutex<[Int]>([])
  /// Per camera, decoded → scored in the current stats interval.
  private let latencies = Mutex<[LatencySamples]>([])
  private let intervalStart = Mutex(ContinuousClock.now)
  /// When the inference worker last made progress (or woke up idle).
  private let heartbeat = Mutex(Date())

  /// Whether the inference worker has shown signs of life within `seconds`.
  public func isAlive(within seconds: Double) -> Bool {
    heartbeat.withLock { Date().timeIntervalSince($0) <= seconds }
  }

  /// One line for `systemctl status`.
  public var statusLine: String {
    let cameras = sources.values.map(\.stats)
    let connected = cameras.filter(\.connected).count
    let broker =
      publisher.map { $0.isConnected ? "broker connected" : "broker unreachable (\($0.outbox.count) queued)" }
      ?? "mqtt off"
    return "\(connected)/\(cameras.count) cameras up, \(rules.get().count) rules, \(broker)"
  }

  /// `engine`: models already loaded (benchmarks); default: those `configuration` names.
  public init(
    configuration: Configuration, engine: Engine? = nil, sinks: [any AlertSink],
    log: @escaping @Sendable (String) -> Void
  ) throws {
    self.configuration = configuration
    self.sinks = sinks
    self.log = log
    Parallelism.threads = configuration.threads
    self.engine =
      try engine ?? Engine(clipDirectory: configuration.clipModel, temporalFile: configuration.temporalModel)
    if configuration.mqtt.enabled {
      let outbox = try Outbox(directory: configuration.stateDirectory + "/outbox")
      publisher = try MQTTPublisher(
        settings: try configuration.mqtt.publisherSettings(node: configuration.node), outbox: outbox, log: log)
    } else {
      publisher = nil
    }
    let cameras = configuration.cameras.filter(\.enabled)
    queue = FrameQueue(capacity: max(2, 2 * cameras.count))
    let rules = self.rules
    let publisher = self.publisher
    let cameraNames = cameras.map(\.name)
    let examples = self.engine.examples
    let directory = configuration.rulesDirectory
    watcher = RuleWatcher(store: RuleStore(directory: directory)) { contents in
      // A directory briefly gone (a deploy renaming it, an unmounted share) is
      // not "every rule removed": that would end every episode and delete
      // every Home Assistant entity.
      if contents.isUnreadable {
        log("rules directory \(directory) is missing or unreadable; keeping the \(rules.get().count) rule(s) loaded")
        return
      }
      examples.prepare(for: contents.rules)  // here, on the watcher's thread: never on the inference thread
      rules.set(contents.rules)
      publisher?.setEntities(Self.entities(cameras: cameraNames, rules: contents.rules))
      log(
        "rules reloaded: \(contents.rules.count) rule(s)"
          + (contents.problems.isEmpty ? "" : ", \(contents.problems.count) skipped"))
      for problem in contents.problems { log("rule skipped: \(problem)") }
    }
    embedded.withLock { $0 = [Int](repeating: 0, count: cameras.count) }
    latencies.withLock { $0 = [LatencySamples](repeating: LatencySamples(), count: cameras.count) }
    if let publisher { self.sinks.append(publisher) }
  }

  /// Camera × rule pairs that exist (for Home Assistant entities and retained states).
  static func entities(cameras: [String], rules: [Rule]) -> Set<MQTTPublisher.Entity> {
    var entities: Set<MQTTPublisher.Entity> = []
    for camera in cameras {
      for rule in rules where rule.applies(to: camera) {
        entities.insert(.init(camera: camera, rule: rule.id, label: rule.text[0]))
      }
    }
    return entities
  }

  /// Loads the rules, starts the worker and one reader per enabled camera.
  public func start() {
    publisher?.start()
    let contents = watcher.start()
    engine.examples.prepare(for: contents.rules)
    rules.set(contents.rules)
    publisher?.setEntities(
      Self.entities(cameras: configuration.cameras.filter(\.enabled).map(\.name), rules: contents.rules))
    log("rules: \(contents.rules.count) loaded from \(configuration.rulesDirectory)")
    for problem in contents.problems { log("rule skipped: \(problem)") }
    let cameras = configuration.cameras.filter(\.enabled)
    if cameras.isEmpty { log("no enabled cameras in the configuration") }
    let worker = Thread { [self] in work(cameras: cameras) }
    worker.name = "inference"
    worker.start()
    for (index, camera) in cameras.enumerated() {
      var options = SourceOptions()
      options.size = engine.imageSize
      options.sampleRate = camera.fps
      options.rtspTransport = camera.transport
      options.loop = camera.loop
      options.realtime = true
      let log = self.log
      let source: VideoSource
      do {
        source = try VideoSource(url: camera.url, options: options) { log("camera \(camera.name): \($0)") }
      } catch {
        log("camera \(camera.name): \(error)")  // validated at config load; kept for safety
        continue
      }
      sources[index] = source
      let thread = Thread { [self] in read(camera: camera, index: index, source: source) }
      thread.name = "camera-\(camera.name)"
      readers.append(thread)
      thread.start()
    }
  }

  /// SIGHUP: reload the rules now.
  public func reloadRules() { watcher.reloadNow() }

  /// Graceful stop: sources end, queued frames are processed, open episodes
  /// end. Returns within `timeout` seconds.
  public func stop(timeout: Double = 8) {
    watcher.stop()
    for source in sources.values { source.stop() }
    let deadline = Date().addingTimeInterval(timeout / 2)
    while readers.contains(where: { $0.isExecuting }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    queue.close()
    _ = workerDone.wait(timeout: .now() + timeout / 4)
    publisher?.stop(timeout: timeout / 4)
  }

  /// Publishes the stats message (the run loop calls this every 30 s).
  public func publishStats() {
    guard let publisher else { return }
    publisher.publishStats(takeStats().json)
  }

  /// The interval since the last call: counters, and latencies (which restart).
  public func takeStats() -> PipelineStats {
    let now = ContinuousClock.now
    let elapsed = intervalStart.withLock { start in
      defer { start = now }
      return now - start
    }
    let latencies = self.latencies.withLock { all in all.indices.map { all[$0].take() } }
    let cameras = counters.enumerated().map { index, counter in
      let stats = sources[index]?.stats ?? SourceStats()
      return PipelineStats.Camera(
        name: counter.camera, connected: stats.connected, decoded: stats.decoded, embedded: counter.embedded,
        dropped: counter.dropped, reconnects: stats.reconnects, latency: latencies[index])
    }
    return PipelineStats(
      interval: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
      cameras: cameras, eventLatency: publisher?.takeLatencies() ?? LatencySamples(),
      residentBytes: ResidentMemory.bytes())
  }

  private func read(camera: Configuration.Camera, index: Int, source: VideoSource) {
    var settings = MotionGate.Settings()
    settings.minChangedFraction = camera.motionThreshold
    var gate = MotionGate(settings: settings)
    do {
      while let frame = try source.nextFrame() {
        if camera.motion && !gate.evaluate(frame).passed { continue }
        queue.push(.init(camera: index, frame: frame))
      }
    } catch {
      log("camera \(camera.name): \(error); this camera stops, the others go on")
    }
  }

  private func work(cameras: [Configuration.Camera]) {
    var states = cameras.map { CameraState(camera: $0.name, engine: engine) }
    var lastTimes = [Double](repeating: 0, count: cameras.count)
    let snapshots = JPEGEncoder()
    while let batch = queue.popBatch(maximum: min(8, max(1, cameras.count))) {
      heartbeat.withLock { $0 = Date() }
      if batch.isEmpty { continue }
      let embeddings = engine.embed(batch.map(\.frame))
      let current = rules.get()
      for (item, embedding) in zip(batch, embeddings) {
        let (events, _) = states[item.camera].process(
          frame: item.frame, embedding: embedding, rules: current, engine: engine, snapshots: snapshots)
        lastTimes[item.camera] = item.frame.pts
        embedded.withLock { $0[item.camera] += 1 }
        latencies.withLock { $0[item.camera].add(since: item.frame.decodedAt) }
        for event in events { for sink in sinks { sink.deliver(event) } }
      }
      for problem in engine.takeProblems() { log(problem) }
    }
    for index in states.indices {
      for event in states[index].finish(time: lastTimes[index], engine: engine, snapshots: snapshots) {
        for sink in sinks { sink.deliver(event) }
      }
    }
    workerDone.signal()
  }

  /// Per camera: frames embedded and dropped so far.
  public var counters: [(camera: String, embedded: Int, dropped: Int)] {
    let cameras = configuration.cameras.filter(\.enabled)
    let counts = embedded.withLock { $0 }
    return cameras.enumerated().map { ($0.element.name, counts[$0.offset], queue.dropped(camera: $0.offset)) }
  }
}

/// The rule list the watcher replaces and the worker reads.
final class CurrentRules: Sendable {
  private let rules = Mutex<[Rule]>([])
  func set(_ new: [Rule]) { rules.withLock { $0 = new } }
  func get() -> [Rule] { rules.withLock { $0 } }
}
