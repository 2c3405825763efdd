import Core
import Foundation
import Rules
import Synchronization

/// The one inference thread: takes up to one frame per camera from the
/// queue, embeds them in one batch (frames of several cameras in one GEMM is
/// the main throughput lever on two cores), steps each frame's camera
/// pipeline and hands the events to delivery. Per camera-frame it calls out
/// only to the image encoder (batched), the camera's `step` and the delivery
/// queue; nothing on this thread touches the disk or the network.
final class InferenceWorker: @unchecked Sendable {
  private let engine: Engine
  private let queue: FrameQueue
  private let pipelines: [CameraPipeline]
  private let rules: CurrentRules
  private let switches: RuleSwitches
  private let delivery: EventDelivery
  private let metrics: DaemonMetrics
  /// Memory searches served between batches (the daemon with `[memory]` on).
  private let searches: SearchMailbox?
  private let log: @Sendable (String) -> Void
  private let done = DispatchSemaphore(value: 0)
  /// When the worker last made progress (or woke up idle).
  private let heartbeat = Mutex(Date())
  /// When the cameras' temporal states were last handed to delivery for saving.
  private var lastSave = ContinuousClock.now

  init(
    engine: Engine, queue: FrameQueue, pipelines: [CameraPipeline], rules: CurrentRules, switches: RuleSwitches,
    delivery: EventDelivery, metrics: DaemonMetrics, searches: SearchMailbox? = nil,
    log: @escaping @Sendable (String) -> Void
  ) {
    self.metrics = metrics
    self.searches = searches
    self.engine = engine
    self.queue = queue
    self.pipelines = pipelines
    self.rules = rules
    self.switches = switches
    self.delivery = delivery
    self.log = log
  }

  func start() {
    let thread = Thread { [self] in run() }
    thread.name = "inference"
    thread.start()
  }

  /// Whether the worker has shown signs of life within `seconds`.
  func isAlive(within seconds: Double) -> Bool { heartbeat.withLock { Date().timeIntervalSince($0) <= seconds } }

  /// Waits until the worker has drained the closed queue and ended every
  /// open episode; false after `timeout` seconds.
  func join(timeout: Double) -> Bool { done.wait(timeout: .now() + timeout) == .success }

  /// Copies every camera's temporal state (small, fixed size) and its
  /// memory blocks in progress for delivery to write.
  private func saveStates() {
    lastSave = .now
    delivery.save(pipelines.compactMap { pipeline in pipeline.savedTemporalState().map { (pipeline.id, $0) } })
    delivery.store(pipelines.flatMap { $0.takeMemory(includingOpen: true) })
  }

  private func run() {
    while let batch = queue.popBatch(maximum: min(8, max(1, pipelines.count))) {
      heartbeat.withLock { $0 = Date() }
      searches?.serve(engine: engine)
      if batch.isEmpty { continue }
      let current = rules.get()
      // Per frame, the pictures of its views in use (whole frame, regions);
      // still ones reuse their last embedding, the others go through CLIP in one batch.
      let active = batch.map { switches.active(current, camera: $0.camera.name) }
      let needs = zip(batch, active).map { item, rules in
        let pipeline = pipelines[item.camera.index]
        pipeline.use(rules: rules)
        return pipeline.pictures(of: item.frame, still: item.still)
      }
      var fresh = engine.embed(pictures: needs.flatMap { $0.embed.map(\.picture) }).makeIterator()
      for ((item, need), rules) in zip(zip(batch, needs), active) {
        var embeddings = need.reuse
        for (view, _) in need.embed { embeddings[view] = fresh.next() }
        let still = need.embed.isEmpty
        let (events, _) = pipelines[item.camera.index].step(
          frame: item.frame, embeddings: embeddings, still: still, rules: rules, engine: engine)
        metrics.scored(camera: item.camera, still: still, decodedAt: item.frame.decodedAt)
        delivery.enqueue(events)
        delivery.store(pipelines[item.camera.index].takeMemory(includingOpen: false))
      }
      for problem in engine.takeProblems() { log(problem) }
      if ContinuousClock.now - lastSave >= .seconds(TemporalStateStore.interval) { saveStates() }
    }
    for pipeline in pipelines { delivery.enqueue(pipeline.finish(engine: engine)) }
    saveStates()
    searches?.refuseAll("the daemon is stopping")
    done.signal()
  }
}
