import CLIP
import Core
import Foundation
import Mamba
import ModelIO
import Rules
import Tensor

/// Everything one camera carries between frames: a temporal state per view
/// in use (the whole frame, each region a rule watches) and its rules'
/// scoring state (`RuleTracks`). `process` turns one embedded frame into the
/// events it causes: one call into the temporal model per view and one into
/// Rules. Constant memory per camera and view.
public struct CameraState: Sendable {
  public typealias Score = RuleTracks<BestFrame>.Score

  /// One view's temporal state: the trained adapter's, or the pooling's.
  private struct Temporal: Sendable {
    var adapter: TemporalAdapter.State?
    var pooling: MultiHorizonPooling.State
  }

  public let camera: String
  private var adapter: TemporalAdapter?
  private let pooling: MultiHorizonPooling
  /// Per view: the whole frame's (always; saved and restored across
  /// restarts) and each region's in use (a region out of use is forgotten:
  /// it starts afresh, as after a restart).
  private var temporal: [CameraView: Temporal]
  private var tracks: RuleTracks<BestFrame>
  /// Wall-clock seconds (Unix time); a test's own clock in tests.
  private let wallClock: @Sendable () -> Double
  /// Wall-clock time of the last frame processed: the gap a saved state decays over is measured from it.
  private var lastWallTime: Double?
  /// Set by a restore: the wall-clock time of the restored state's last frame.
  private var resumingFrom: Double?

  /// `regions`: the camera's region names (`[[cameras.regions]]`).
  public init(
    camera: String, engine: Engine, regions: Set<String> = [],
    wallClock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
  ) {
    self.camera = camera
    self.wallClock = wallClock
    adapter = engine.adapter
    pooling = MultiHorizonPooling(dimension: engine.clip.config.projectionDim, horizons: Rule.horizons)
    temporal = [.whole: Temporal(adapter: engine.adapter?.makeState(), pooling: pooling.makeState())]
    tracks = RuleTracks(camera: camera, regions: regions)
  }

  /// Advances each view's temporal state with its embedding of `frame`
  /// (`embeddings`: the views in use), scores every rule that applies to this
  /// camera, and returns the events and scores.
  public mutating func process(
    frame: Frame, embeddings: [CameraView: [Float]], rules: [Rule], engine: Engine
  ) -> (events: [PendingEvent], scores: [Score]) {
    var rolling: [CameraView: [[Float]]] = [:]
    for (view, embedding) in embeddings { rolling[view] = temporalStep(view, embedding, time: frame.pts) }
    temporal = temporal.filter { $0.key == .whole || embeddings[$0.key] != nil }
    let step = tracks.observe(
      rolling: rolling, time: frame.pts,
      snapshot: { view in
        BestFrame(picture: frame.snapshotPicture(), rolling: rolling[view]!, model: engine.fingerprint, view: view)
      }, rules: rules, scorer: { engine.scorer(for: $0) })
    return (convert(step.actions, engine: engine, time: frame.pts, decodedAt: frame.decodedAt), step.scores)
  }

  /// Only the temporal model of the whole frame: `embedding` in, the rolling
  /// embeddings out (the reference outputs false-alarm states are standardised against).
  public mutating func advance(_ embedding: [Float], time: Double) -> [[Float]] {
    temporalStep(.whole, embedding, time: time)
  }

  /// Ends every open episode (camera stopping, daemon shutting down).
  public mutating func finish(time: Double, engine: Engine) -> [PendingEvent] {
    convert(tracks.finish(time: time), engine: engine, time: time)
  }

  // MARK: Saving and restoring the temporal state

  /// The temporal state as safetensors tensors and metadata (`kind`,
  /// `wall_time` of the last frame); nil before the first frame.
  public func savedTemporalState() -> (tensors: [String: Tensor], metadata: [String: String])? {
    guard let lastWallTime else { return nil }
    var (tensors, metadata) = temporal[.whole]!.adapter?.saved() ?? temporal[.whole]!.pooling.saved()
    metadata["kind"] = temporal[.whole]!.adapter == nil ? "pooling" : "mamba"
    metadata["wall_time"] = String(lastWallTime)
    return (tensors, metadata)
  }

  /// Restores a state saved by `savedTemporalState` for the same model. The
  /// first frame after it steps as if the whole wall-clock gap since the saved
  /// state's last frame had elapsed in stream time, which is what the
  /// continuous-time step would have done had the daemon never stopped.
  /// Returns the gap so far in seconds.
  public mutating func restoreTemporalState(_ file: SafeTensors) throws(ModelError) -> Double {
    let kind = temporal[.whole]!.adapter == nil ? "pooling" : "mamba"
    guard file.metadata["kind"] == kind else {
      throw ModelError(file: file.path, "saved for the \(file.metadata["kind"] ?? "?") temporal model, not \(kind)")
    }
    guard let text = file.metadata["wall_time"], let savedAt = Double(text), savedAt.isFinite else {
      throw ModelError(file: file.path, "metadata 'wall_time' missing or not a time")
    }
    if let adapter {
      temporal[.whole]!.adapter = try TemporalAdapter.State(restoring: file, adapter: adapter)
    } else {
      temporal[.whole]!.pooling = try pooling.restoreState(file)
    }
    resumingFrom = savedAt
    lastWallTime = savedAt
    return max(0, wallClock() - savedAt)
  }

  /// One rolling embedding per horizon for `view`: the adapter's output for
  /// all of them when trained weights are loaded, else the multi-horizon pools.
  private mutating func temporalStep(_ view: CameraView, _ embedding: [Float], time: Double) -> [[Float]] {
    let now = wallClock()
    if view == .whole, let savedAt = resumingFrom {
      // This run's stream clock starts anywhere: place the restored state's
      // last frame the wall-clock gap before this one.
      let gap = max(0, now - savedAt)
      temporal[.whole]!.adapter?.lastTime = time - gap
      if temporal[.whole]!.pooling.previous != nil { temporal[.whole]!.pooling.lastTime = time - gap }
      resumingFrom = nil
    }
    lastWallTime = now
    if temporal[view] == nil { temporal[view] = Temporal(adapter: adapter?.makeState(), pooling: pooling.makeState()) }
    if var adapter {
      var output = [Float](repeating: 0, count: embedding.count)
      adapter.step(embedding, time: time, state: &temporal[view]!.adapter!, into: &output)
      self.adapter = adapter
      return [output]
    }
    pooling.step(embedding, time: time, state: &temporal[view]!.pooling)
    return temporal[view]!.pooling.pooled
  }

  private func convert(
    _ actions: [(rule: Rule, action: EpisodeTracker<BestFrame>.Action)], engine: Engine, time: Double,
    decodedAt: ContinuousClock.Instant? = nil
  ) -> [PendingEvent] {
    actions.compactMap { rule, action in
      let kind: AlertEvent.Kind
      let episode: EpisodeTracker<BestFrame>.Episode
      switch action {
      case .new(let e): (kind, episode) = (.new, e)
      case .update(let e): (kind, episode) = (.update, e)
      case .end(let e): (kind, episode) = (.end, e)
      case .suppressed: return nil
      }
      var event = AlertEvent(
        kind: kind, id: episode.id, camera: camera, rule: rule.id, label: rule.text[0], score: episode.score,
        topScore: episode.topScore, threshold: rule.threshold, startTime: episode.startTime, endTime: episode.endTime,
        frameTime: time, snapshot: nil, model: engine.modelName, decodedAt: decodedAt)
      event.beforeTime = episode.beforeTime
      event.region = episode.snapshot.view.regionName
      return PendingEvent(event: event, snapshot: episode.snapshot)
    }
  }
}
