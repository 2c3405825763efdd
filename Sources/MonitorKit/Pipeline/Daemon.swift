import Alerts
import Config
import Core
import CoreMetrics
import Foundation
import History
import Rules
import Synchronization
import Tensor
import Video

/// The running monitor: one `CameraPipeline` per enabled camera, whose
/// reader thread (decode, sample, motion gate) feeds one `InferenceWorker`
/// through a bounded queue; the worker embeds frames of several cameras in
/// one batch and steps each camera; `EventDelivery` hands the events to the
/// sinks on its own thread. One camera failing never affects the others.
/// `stop()` ends sources, finishes queued frames and closes open episodes
/// with `end`.
public final class Daemon: @unchecked Sendable {
  public let configuration: Configuration
  private let engine: Engine
  /// nil when `[mqtt] enabled = false`.
  public let publisher: MQTTPublisher?
  private let log: @Sendable (String) -> Void
  private let queue: FrameQueue
  private let watcher: RuleWatcher
  private let rules = CurrentRules()
  /// Rules switched off per camera at run time (MQTT, Home Assistant).
  public let switches: RuleSwitches
  /// Operators' word that an episode was a false alarm (MQTT, the HTTP API).
  public let feedback: FalseAlarmFeedback
  /// The enabled cameras whose source could be made, in configuration order.
  private let pipelines: [CameraPipeline]
  private let worker: InferenceWorker
  private let delivery: EventDelivery
  private let journal: EpisodeJournal?
  /// Every episode with its snapshot (`[history]`); nil when off or when `state_dir` refused it.
  private let history: HistoryRecorder?
  private let metrics: DaemonMetrics
  /// `GET /api/search`, answered by the inference worker; nil without memory.
  private let searches: SearchMailbox?
  private var readers: [Thread] = []
  private let intervalStart = Mutex(ContinuousClock.now)

  /// Whether the inference worker has shown signs of life within `seconds`.
  public func isAlive(within seconds: Double) -> Bool { worker.isAlive(within: seconds) }

  /// One line for `systemctl status`.
  public var statusLine: String {
    let connected = pipelines.filter(\.isConnected).count
    let broker =
      publisher.map { $0.isConnected ? "broker connected" : "broker unreachable (\($0.outbox.count) queued)" }
      ?? "mqtt off"
    return "\(connected)/\(pipelines.count) cameras up, \(rules.get().count) rules, \(broker)"
  }

  /// `engine`: models already loaded (benchmarks); default: those `configuration` names.
  /// `metrics`: where the daemon's numbers go (the HTTP API's Prometheus registry); default: nowhere.
  public init(
    configuration: Configuration, engine: Engine? = nil, sinks: [any AlertSink],
    metrics factory: any MetricsFactory = NOOPMetricsHandler.instance, log: @escaping @Sendable (String) -> Void
  ) throws {
    self.configuration = configuration
    self.log = log
    Parallelism.threads = configuration.threads
    let engine =
      try engine
      ?? Engine(
        clipDirectory: configuration.clipModel, temporalFile: configuration.temporalModel,
        retrospectiveFile: configuration.retrospectiveModel,
        precision: configuration.precision, log: log)
    self.engine = engine
    let metrics = DaemonMetrics(
      factory: factory, cameras: configuration.cameras.filter(\.enabled).map(\.name),
      mqtt: configuration.mqtt.enabled)
    self.metrics = metrics
    let switches = RuleSwitches(file: configuration.stateDirectory + "/" + RuleSwitches.fileName, log: log)
    self.switches = switches
    let feedback = FalseAlarmFeedback(configuration: configuration)
    self.feedback = feedback
    if configuration.mqtt.enabled {
      let outbox = try Outbox(directory: configuration.stateDirectory + "/outbox")
      publisher = try MQTTPublisher(
        settings: try configuration.mqtt.publisherSettings(node: configuration.node), outbox: outbox,
        entitiesFile: configuration.stateDirectory + "/mqtt-entities.json", log: log,
        onAcknowledged: { metrics.acknowledged(after: $0) }, onSwitch: { switches.set($0, on: $1) },
        onFalseAlarm: { camera, payload in
          // Off the broker's network thread: the history and the disk may take a moment.
          DispatchQueue.global().async {
            Self.falseAlarm(camera: camera, payload: payload, feedback: feedback, log: log)
          }
        })
    } else {
      publisher = nil
    }
    do {
      journal = try EpisodeJournal(directory: configuration.stateDirectory + "/episodes", log: log)
    } catch {
      journal = nil
      log("state_dir \(configuration.stateDirectory): \(error); episodes open at a crash will not be ended")
    }
    let states: TemporalStateStore?
    do {
      states = try TemporalStateStore(
        directory: configuration.stateDirectory + "/temporal", fingerprint: engine.fingerprint, log: log)
    } catch {
      states = nil
      log("state_dir \(configuration.stateDirectory): \(error); temporal states will not survive a restart")
    }
    let opened = Self.openHistory(configuration, log: log)
    history = opened?.recorder
    let memory = Self.memoryWriter(
      configuration, history: opened?.history, model: engine.fingerprint, metrics: metrics, log: log)
    if memory != nil, let warning = engine.retrospectiveWarning(memory: configuration.memory) { log(warning) }
    let delivery = EventDelivery(
      // MQTT first: its outbox record is fsync'd before the log line and the
      // events file see the event, so a line there means a stored event.
      sinks: (publisher.map { [$0] } ?? []) + sinks + (history.map { [$0] } ?? [])
        + [EpisodeMetricsSink(metrics: metrics)],
      journal: journal, states: states, memory: memory, log: log)
    self.delivery = delivery
    let clipSettings = Self.clipSettings(configuration)
    var pipelines: [CameraPipeline] = []
    for camera in configuration.cameras where camera.enabled {
      do {
        let id = CameraID(index: pipelines.count, name: camera.name)
        pipelines.append(
          try CameraPipeline(
            id: id, settings: camera, engine: engine, realtime: true, snapshots: true, clips: clipSettings,
            onClip: { [delivery] in delivery.enqueue([PendingEvent(event: $0, snapshot: nil)]) },
            memory: memory == nil ? nil : Self.memoryBlocks(configuration), log: log))
      } catch {
        log("camera \(camera.name): \(error)")  // validated at config load; kept for safety
      }
    }
    for pipeline in pipelines { states?.restore(pipeline) }
    self.pipelines = pipelines
    let queue = FrameQueue(capacity: max(2, 2 * pipelines.count))
    self.queue = queue
    searches =
      memory == nil
      ? nil
      : SearchMailbox(
        historyDirectory: configuration.historyDirectory, blockSeconds: configuration.memory.blockSeconds,
        wake: { queue.wake() })
    worker = InferenceWorker(
      engine: engine, queue: queue, pipelines: pipelines, rules: rules, switches: switches, delivery: delivery,
      metrics: metrics, searches: searches, log: log)
    let rules = self.rules
    let publisher = self.publisher
    let cameras = pipelines.map(\.settings)
    let examples = engine.examples
    let directory = configuration.rulesDirectory
    let falseAlarms = FalseAlarms(stateDirectory: configuration.stateDirectory)
    watcher = RuleWatcher(store: RuleStore(directory: directory, falseAlarms: falseAlarms)) { contents in
      // A directory briefly gone (a deploy renaming it, an unmounted share) is
      // not "every rule removed": that would end every episode and delete
      // every Home Assistant entity.
      if contents.isUnreadable {
        log("rules directory \(directory) is missing or unreadable; keeping the \(rules.get().count) rule(s) loaded")
        return
      }
      examples.prepare(for: contents.rules)  // here, on the watcher's thread: never on the inference thread
      // Entities first: a new rule's retained OFF must precede its first ON.
      Self.publishEntities(cameras: cameras, rules: contents.rules, switches: switches, publisher: publisher)
      for problem in Preflight.missingRegions(cameras: cameras, rules: contents.rules, file: "the configuration") {
        log(problem)
      }
      rules.set(contents.rules)
      log(
        "rules reloaded: \(contents.rules.count) rule(s)"
          + (contents.problems.isEmpty ? "" : ", \(contents.problems.count) skipped"))
      for problem in contents.problems { log("rule skipped: \(problem)") }
    }
  }

  /// The history in `state_dir/history`, or nil (off, or the directory refused it: logged, the daemon runs on).
  private static func openHistory(_ configuration: Configuration, log: @escaping @Sendable (String) -> Void)
    -> (recorder: HistoryRecorder, history: EventHistory)?
  {
    guard configuration.history.enabled else { return nil }
    do {
      let retention = Retention(
        days: Double(configuration.history.keepDays), megabytes: configuration.history.maxMegabytes)
      let history = try EventHistory.openForWriting(directory: configuration.historyDirectory, log: log)
      return (HistoryRecorder(history: history, retention: retention, log: log), history)
    } catch {
      log("event history off: \(error)")
      return nil
    }
  }

  /// The memory's writer into the history database; nil when `[memory]` is
  /// off or there is no history (logged: the memory lives in its database).
  private static func memoryWriter(
    _ configuration: Configuration, history: EventHistory?, model: String, metrics: DaemonMetrics,
    log: @escaping @Sendable (String) -> Void
  ) -> MemoryWriter? {
    guard configuration.memory.enabled else { return nil }
    guard let history else {
      log("memory off: it is kept in the event history, which is off")
      return nil
    }
    return MemoryWriter(
      history: history, model: model,
      retention: Retention(days: Double(configuration.memory.keepDays), megabytes: configuration.memory.maxMegabytes),
      log: log, counted: { metrics.memoryBlock(stored: $0) })
  }

  static func memoryBlocks(_ configuration: Configuration) -> MemoryBlockSettings {
    MemoryBlockSettings(
      blockSeconds: configuration.memory.blockSeconds, entriesPerBlock: configuration.memory.entriesPerBlock)
  }

  /// Searches the cameras' memory with the daemon's model (on the inference
  /// thread, between batches); an error when `[memory]` or `[history]` is off.
  func search(_ request: MemorySearchRequest) async -> Result<(hits: [MemoryHit], searched: Int), MemorySearchError> {
    guard let searches else {
      return .failure(MemorySearchError(description: "the memory is off ([memory] and [history] enabled)"))
    }
    return await searches.search(request)
  }

  /// `[clips]` as the recorders take it; nil when off.
  static func clipSettings(_ configuration: Configuration) -> ClipRecorder.Settings? {
    guard configuration.clips.enabled else { return nil }
    var settings = ClipRecorder.Settings(directory: configuration.stateDirectory + "/clips")
    settings.preRoll = configuration.clips.preRoll
    settings.postRoll = configuration.clips.postRoll
    settings.maxBytes = configuration.clips.maxMegabytes << 20
    settings.ringBytes = configuration.clips.ringMegabytes << 20
    return settings
  }

  /// Camera × rule pairs that exist (for Home Assistant entities and retained states).
  static func entities(cameras: [Configuration.Camera], rules: [Rule]) -> Set<MQTTPublisher.Entity> {
    var entities: Set<MQTTPublisher.Entity> = []
    for camera in cameras {
      let regions = Set(camera.regions.map(\.name))
      for rule in rules where !rule.views(onCamera: camera.name, regions: regions).isEmpty {
        entities.insert(.init(camera: camera.name, rule: rule.id, label: rule.text[0]))
      }
    }
    return entities
  }

  /// The MQTT false-alarm command: `PRESS` marks the camera's latest
  /// episode, an id that episode (which must be the camera's).
  private static func falseAlarm(
    camera: String, payload: String, feedback: FalseAlarmFeedback, log: @Sendable (String) -> Void
  ) {
    do throws(FalseAlarmFeedback.Failure) {
      let recorded: (episode: StoredEvent, picture: String)
      if payload == Payloads.falseAlarmPress {
        recorded = try feedback.falseAlarm(latestOn: camera)
      } else {
        guard EventHistory.isEpisodeID(payload) else {
          log("mqtt false alarm on camera \(camera): expected PRESS or an episode id, got '\(payload)'; ignored")
          return
        }
        recorded = try feedback.falseAlarm(id: payload)
        guard recorded.episode.camera == camera else {
          log("mqtt false alarm on camera \(camera): episode \(payload) is camera \(recorded.episode.camera)'s")
          return
        }
      }
      log(Self.falseAlarmLine(recorded.episode, picture: recorded.picture, via: "mqtt"))
    } catch {
      log("mqtt false alarm on camera \(camera): \(error); nothing changed")
    }
  }

  static func falseAlarmLine(_ episode: StoredEvent, picture: String, via: String) -> String {
    "false alarm (\(via)): episode \(episode.id) of rule \(episode.rule) on camera \(episode.camera); "
      + "its best frame is now a picture the rule must not match (\(picture))"
  }

  /// `POST /api/events/{id}/false_alarm`: logged either way.
  public func falseAlarm(id: String) throws(FalseAlarmFeedback.Failure) -> StoredEvent {
    do {
      let recorded = try feedback.falseAlarm(id: id)
      log(Self.falseAlarmLine(recorded.episode, picture: recorded.picture, via: "http"))
      return recorded.episode
    } catch {
      log("false alarm (http) on episode \(id): \(error); nothing changed")
      throw error
    }
  }

  /// The entities of these rules with their switches; switches of pairs that are gone are forgotten.
  private static func publishEntities(
    cameras: [Configuration.Camera], rules: [Rule], switches: RuleSwitches, publisher: MQTTPublisher?
  ) {
    let entities = Self.entities(cameras: cameras, rules: rules)
    let off = switches.keep(only: Set(entities.map(\.pair)))
    publisher?.setEntities(entities, switchedOff: off)
  }

  /// Loads the rules, then starts delivery, the worker and one reader per camera.
  public func start() {
    history?.prune()
    publisher?.start()
    let contents = watcher.start()
    engine.examples.prepare(for: contents.rules)
    if contents.isUnreadable {
      // Entities wait for the first readable load: "no rules" would remove them all.
      log("rules directory \(configuration.rulesDirectory) is missing or unreadable; no rules until it is")
    } else {
      Self.publishEntities(
        cameras: pipelines.map(\.settings), rules: contents.rules, switches: switches, publisher: publisher)
    }
    rules.set(contents.rules)
    for problem in Preflight.missingRegions(
      cameras: pipelines.map(\.settings), rules: contents.rules, file: "the configuration")
    {
      log(problem)
    }
    // Before the first frame is read, so the regions the rules watch are cut from it.
    for pipeline in pipelines { pipeline.use(rules: switches.active(contents.rules, camera: pipeline.id.name)) }
    log("rules: \(contents.rules.count) loaded from \(configuration.rulesDirectory)")
    for problem in contents.problems { log("rule skipped: \(problem)") }
    if pipelines.isEmpty { log("no enabled cameras in the configuration") }
    let leftOpen = journal?.leftOpen() ?? []
    if !leftOpen.isEmpty { log("ending \(leftOpen.count) episode(s) the previous run left open") }
    delivery.enqueue(leftOpen.map { PendingEvent(event: $0, snapshot: nil) })
    delivery.start()
    worker.start()
    for pipeline in pipelines {
      let thread = Thread { [queue] in pipeline.read(into: queue) }
      thread.name = "camera-\(pipeline.id.name)"
      readers.append(thread)
      thread.start()
    }
  }

  /// SIGHUP: reload the rules now.
  public func reloadRules() { watcher.reloadNow() }

  /// Graceful stop, in reverse order of start: sources end, queued frames are
  /// discarded (no episode opens once stopping began) and open episodes end, events are delivered, the broker gets
  /// what it takes. Returns within about `timeout` seconds.
  public func stop(timeout: Double = 8) {
    watcher.stop()
    for pipeline in pipelines { pipeline.stop() }
    let deadline = Date().addingTimeInterval(timeout / 2)
    while readers.contains(where: { $0.isExecuting }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    queue.close()
    _ = worker.join(timeout: timeout / 4)
    delivery.stop(timeout: timeout / 8)
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
    let cameras = pipelines.map { $0.takeStats(dropped: queue.dropped(camera: $0.id)) }
    var stats = PipelineStats(
      interval: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
      cameras: cameras, eventLatency: publisher?.takeLatencies() ?? LatencySamples(),
      residentBytes: ResidentMemory.bytes())
    stats.eventsDropped = delivery.dropped
    return stats
  }

  /// Before a `/metrics` scrape: totals the decoders, the queue and the outbox keep.
  public func refreshMetrics() {
    var cameras: [String: (decoded: Int, dropped: Int, reconnects: Int, connected: Bool)] = [:]
    for pipeline in pipelines {
      let stats = pipeline.sourceStats
      cameras[pipeline.id.name] = (stats.decoded, queue.dropped(camera: pipeline.id), stats.reconnects, stats.connected)
    }
    metrics.refresh(
      .init(
        cameras: cameras, eventsDropped: delivery.dropped, outboxQueued: publisher?.outbox.count,
        brokerConnected: publisher?.isConnected, rules: rules.get().count))
  }

  /// Per camera, in configuration order: its name and whether its source is connected.
  public var cameraConnections: [(camera: String, connected: Bool)] { pipelines.map { ($0.id.name, $0.isConnected) } }

  public var ruleCount: Int { rules.get().count }

  /// Per camera: frames embedded and dropped so far.
  public var counters: [(camera: String, embedded: Int, dropped: Int)] {
    pipelines.map { ($0.id.name, $0.embedded, queue.dropped(camera: $0.id)) }
  }
}

/// The rule list the watcher replaces and the worker reads.
final class CurrentRules: Sendable {
  private let rules = Mutex<[Rule]>([])
  func set(_ new: [Rule]) { rules.withLock { $0 = new } }
  func get() -> [Rule] { rules.withLock { $0 } }
}
