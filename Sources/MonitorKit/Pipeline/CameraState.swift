import CLIP
import Core
import Foundation
import Mamba
import ModelIO
import Rules
import Tensor

/// Everything one camera carries between frames: its temporal state and its
/// rules' scoring state (`RuleTracks`). `process` turns one embedded frame
/// into the events it causes: one call into the temporal model and one into
/// Rules. Constant memory per camera.
public struct CameraState: Sendable {
  public typealias Score = RuleTracks<BestFrame>.Score

  public let camera: String
  private var adapterState: TemporalAdapter.State?
  private var adapter: TemporalAdapter?
  private let pooling: MultiHorizonPooling
  private var poolingState: MultiHorizonPooling.State
  private var tracks: RuleTracks<BestFrame>
  /// Wall-clock seconds (Unix time); a test's own clock in tests.
  private let wallClock: @Sendable () -> Double
  /// Wall-clock time of the last frame processed: the gap a saved state decays over is measured from it.
  private var lastWallTime: Double?
  /// Set by a restore: the wall-clock time of the restored state's last frame.
  private var resumingFrom: Double?

  public init(
    camera: String, engine: Engine, wallClock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
  ) {
    self.camera = camera
    self.wallClock = wallClock
    adapter = engine.adapter
    adapterState = engine.adapter?.makeState()
    pooling = MultiHorizonPooling(dimension: engine.clip.config.projectionDim, horizons: Rule.horizons)
    poolingState = pooling.makeState()
    tracks = RuleTracks(camera: camera)
  }

  /// Advances the temporal state with `embedding` of `frame`, scores every
  /// rule that applies to this camera, and returns the events and scores.
  public mutating func process(
    frame: Frame, embedding: [Float], rules: [Rule], engine: Engine
  ) -> (events: [PendingEvent], scores: [Score]) {
    let rolling = temporalStep(embedding, time: frame.pts)
    let step = tracks.observe(
      rolling: rolling, time: frame.pts,
      snapshot: BestFrame(picture: frame.snapshotPicture(), rolling: rolling, model: engine.fingerprint), rules: rules,
      scorer: { engine.scorer(for: $0) })
    return (convert(step.actions, engine: engine, time: frame.pts, decodedAt: frame.decodedAt), step.scores)
  }

  /// Only the temporal model: `embedding` in, the rolling embeddings out (the
  /// reference outputs false-alarm states are standardised against).
  public mutating func advance(_ embedding: [Float], time: Double) -> [[Float]] {
    temporalStep(embedding, time: time)
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
    var (tensors, metadata) = adapterState?.saved() ?? poolingState.saved()
    metadata["kind"] = adapterState == nil ? "pooling" : "mamba"
    metadata["wall_time"] = String(lastWallTime)
    return (tensors, metadata)
  }

  /// Restores a state saved by `savedTemporalState` for the same model. The
  /// first frame after it steps as if the whole wall-clock gap since the saved
  /// state's last frame had elapsed in stream time, which is what the
  /// continuous-time step would have done had the daemon never stopped.
  /// Returns the gap so far in seconds.
  public mutating func restoreTemporalState(_ file: SafeTensors) throws(ModelError) -> Double {
    let kind = adapterState == nil ? "pooling" : "mamba"
    guard file.metadata["kind"] == kind else {
      throw ModelError(file: file.path, "saved for the \(file.metadata["kind"] ?? "?") temporal model, not \(kind)")
    }
    guard let text = file.metadata["wall_time"], let savedAt = Double(text), savedAt.isFinite else {
      throw ModelError(file: file.path, "metadata 'wall_time' missing or not a time")
    }
    if let adapter {
      adapterState = try TemporalAdapter.State(restoring: file, adapter: adapter)
    } else {
      poolingState = try pooling.restoreState(file)
    }
    resumingFrom = savedAt
    lastWallTime = savedAt
    return max(0, wallClock() - savedAt)
  }

  /// One rolling embedding per horizon: the adapter's output for all of them
  /// when trained weights are loaded, else the multi-horizon pools.
  private mutating func temporalStep(_ embedding: [Float], time: Double) -> [[Float]] {
    let now = wallClock()
    if let savedAt = resumingFrom {
      // This run's stream clock starts anywhere: place the restored state's
      // last frame the wall-clock gap before this one.
      let gap = max(0, now - savedAt)
      adapterState?.lastTime = time - gap
      if poolingState.previous != nil { poolingState.lastTime = time - gap }
      resumingFrom = nil
    }
    lastWallTime = now
    if var adapter, var state = adapterState {
      var output = [Float](repeating: 0, count: embedding.count)
      adapter.step(embedding, time: time, state: &state, into: &output)
      self.adapter = adapter
      adapterState = state
      return [output]
    }
    pooling.step(embedding, time: time, state: &poolingState)
    return poolingState.pooled
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
      return PendingEvent(event: event, snapshot: episode.snapshot)
    }
  }
}
