import CLIP
import Core
import Mamba
import Rules

/// Everything one camera carries between frames: its temporal state and its
/// rules' scoring state (`RuleTracks`). `process` turns one embedded frame
/// into the events it causes: one call into the temporal model and one into
/// Rules. Constant memory per camera.
public struct CameraState: Sendable {
  public typealias Score = RuleTracks<Frame>.Score

  public let camera: String
  private var adapterState: TemporalAdapter.State?
  private var adapter: TemporalAdapter?
  private let pooling: MultiHorizonPooling
  private var poolingState: MultiHorizonPooling.State
  private var tracks: RuleTracks<Frame>

  public init(camera: String, engine: Engine) {
    self.camera = camera
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
      rolling: rolling, time: frame.pts, snapshot: frame, rules: rules, scorer: { engine.scorer(for: $0) })
    return (convert(step.actions, engine: engine, time: frame.pts, decodedAt: frame.decodedAt), step.scores)
  }

  /// Ends every open episode (camera stopping, daemon shutting down).
  public mutating func finish(time: Double, engine: Engine) -> [PendingEvent] {
    convert(tracks.finish(time: time), engine: engine, time: time)
  }

  /// One rolling embedding per horizon: the adapter's output for all of them
  /// when trained weights are loaded, else the multi-horizon pools.
  private mutating func temporalStep(_ embedding: [Float], time: Double) -> [[Float]] {
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
    _ actions: [(rule: Rule, action: EpisodeTracker<Frame>.Action)], engine: Engine, time: Double,
    decodedAt: ContinuousClock.Instant? = nil
  ) -> [PendingEvent] {
    actions.compactMap { rule, action in
      let kind: AlertEvent.Kind
      let episode: EpisodeTracker<Frame>.Episode
      switch action {
      case .new(let e): (kind, episode) = (.new, e)
      case .update(let e): (kind, episode) = (.update, e)
      case .end(let e): (kind, episode) = (.end, e)
      case .suppressed: return nil
      }
      let event = AlertEvent(
        kind: kind, id: episode.id, camera: camera, rule: rule.id, label: rule.text[0], score: episode.score,
        topScore: episode.topScore, threshold: rule.threshold, startTime: episode.startTime, endTime: episode.endTime,
        frameTime: time, snapshot: nil, model: engine.modelName, decodedAt: decodedAt)
      return PendingEvent(event: event, snapshot: episode.snapshot)
    }
  }
}
