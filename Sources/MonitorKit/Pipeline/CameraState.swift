import CLIP
import Core
import Mamba
import Rules

/// Everything one camera carries between frames: its temporal state and, per
/// rule, the score smoother and the episode machine. `process` turns one
/// embedded frame into the events it causes. Constant memory per camera.
public struct CameraState: Sendable {
  public let camera: String
  private var adapterState: TemporalAdapter.State?
  private var adapter: TemporalAdapter?
  private let pooling: MultiHorizonPooling
  private var poolingState: MultiHorizonPooling.State
  private var tracks: [String: Track] = [:]

  struct Track: Sendable {
    var rule: Rule
    var smoother = ScoreSmoother(window: 3)
    var tracker: EpisodeTracker<Frame>
  }

  /// One rule's score at one frame (for replay timelines).
  public struct Score: Sendable, Equatable {
    public var rule: String
    public var raw: Double
    public var smoothed: Double
  }

  public init(camera: String, engine: Engine) {
    self.camera = camera
    adapter = engine.adapter
    adapterState = engine.adapter?.makeState()
    pooling = MultiHorizonPooling(dimension: engine.clip.config.projectionDim, horizons: Rule.horizons)
    poolingState = pooling.makeState()
  }

  /// Advances the temporal state with `embedding` of `frame`, scores every
  /// rule that applies to this camera, and returns the events and scores.
  public mutating func process(
    frame: Frame, embedding: [Float], rules: [Rule], engine: Engine
  ) -> (events: [PendingEvent], scores: [Score]) {
    let rolling = temporalStep(embedding, time: frame.pts)
    var events: [PendingEvent] = []
    var scores: [Score] = []
    let active = rules.filter { $0.applies(to: camera) }
    // Rules removed, disabled or moved to other cameras end their open episodes.
    for (id, var track) in tracks where !active.contains(where: { $0.id == id }) {
      events += convert(
        track.tracker.finish(time: frame.pts), rule: track.rule, engine: engine, time: frame.pts,
        decodedAt: frame.decodedAt)
      tracks[id] = nil
    }
    for rule in active {
      guard let scorer = engine.scorer(for: rule) else { continue }
      var track =
        tracks[rule.id] ?? Track(rule: rule, tracker: EpisodeTracker(settings: .init(rule: rule)))
      if track.rule != rule {
        track.rule = rule
        track.tracker.settings = .init(rule: rule)
      }
      let horizon = Rule.horizons.firstIndex(of: rule.horizon) ?? 1
      let raw = scorer.score(rolling[min(horizon, rolling.count - 1)])
      let smoothed = track.smoother.add(raw)
      scores.append(Score(rule: rule.id, raw: raw, smoothed: smoothed))
      let actions = track.tracker.observe(time: frame.pts, score: smoothed, snapshot: frame)
      events += convert(actions, rule: rule, engine: engine, time: frame.pts, decodedAt: frame.decodedAt)
      tracks[rule.id] = track
    }
    return (events, scores)
  }

  /// Ends every open episode (camera stopping, daemon shutting down).
  public mutating func finish(time: Double, engine: Engine) -> [PendingEvent] {
    var events: [PendingEvent] = []
    for (id, var track) in tracks {
      events += convert(track.tracker.finish(time: time), rule: track.rule, engine: engine, time: time)
      tracks[id] = track
    }
    return events
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
    _ actions: [EpisodeTracker<Frame>.Action], rule: Rule, engine: Engine, time: Double,
    decodedAt: ContinuousClock.Instant? = nil
  ) -> [PendingEvent] {
    actions.compactMap { action in
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
