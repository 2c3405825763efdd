/// Every rule's scoring state on one camera, behind one call per frame: for
/// each rule that applies, its calibrated score on the rolling embedding at
/// the rule's horizon, the median smoother and the episode state machine.
/// The rule list is reconciled at each step: a rule removed, disabled or
/// moved to other cameras ends its open episode; an edited rule keeps its
/// episode under the new settings. Pure; constant memory per rule.
public struct RuleTracks<Snapshot: Sendable>: Sendable {
  /// One rule's score at one frame (for replay timelines).
  public struct Score: Sendable, Equatable {
    public var rule: String
    public var raw: Double
    public var smoothed: Double
  }

  /// What one step produced: episode actions (with the rule each belongs to) and scores.
  public struct Step: Sendable {
    public var actions: [(rule: Rule, action: EpisodeTracker<Snapshot>.Action)] = []
    public var scores: [Score] = []
  }

  private struct Track: Sendable {
    var rule: Rule
    var smoother = ScoreSmoother(window: 3)
    var tracker: EpisodeTracker<Snapshot>
  }

  public let camera: String
  private var tracks: [String: Track] = [:]

  public init(camera: String) { self.camera = camera }

  /// One frame. `rolling`: the temporal model's embeddings, one per
  /// `Rule.horizons` entry (a single one serves every horizon); `scorer`: the
  /// rule's calibrated scorer, nil when it cannot be built (the rule is skipped).
  public mutating func observe(
    rolling: [[Float]], time: Double, snapshot: @autoclosure () -> Snapshot, rules: [Rule],
    scorer: (Rule) -> CalibratedScore?
  ) -> Step {
    var step = Step()
    let active = rules.filter { $0.applies(to: camera) }
    for (id, var track) in tracks where !active.contains(where: { $0.id == id }) {
      step.actions += track.tracker.finish(time: time).map { (track.rule, $0) }
      tracks[id] = nil
    }
    // Rendered at most once, and only when a tracker keeps this frame.
    var rendered: Snapshot?
    func frame() -> Snapshot {
      if let rendered { return rendered }
      let picture = snapshot()
      rendered = picture
      return picture
    }
    for rule in active {
      guard let scorer = scorer(rule) else { continue }
      var track = tracks[rule.id] ?? Track(rule: rule, tracker: EpisodeTracker(settings: .init(rule: rule)))
      if track.rule != rule {
        track.rule = rule
        track.tracker.settings = .init(rule: rule)
      }
      let horizon = Rule.horizons.firstIndex(of: rule.horizon) ?? 1
      let raw = scorer.score(rolling[min(horizon, rolling.count - 1)])
      let smoothed = track.smoother.add(raw)
      step.scores.append(Score(rule: rule.id, raw: raw, smoothed: smoothed))
      step.actions += track.tracker.observe(time: time, score: smoothed, snapshot: frame()).map { (rule, $0) }
      tracks[rule.id] = track
    }
    return step
  }

  /// Ends every open episode (camera stopping, end of a replayed file).
  public mutating func finish(time: Double) -> [(rule: Rule, action: EpisodeTracker<Snapshot>.Action)] {
    var actions: [(rule: Rule, action: EpisodeTracker<Snapshot>.Action)] = []
    for (id, var track) in tracks {
      actions += track.tracker.finish(time: time).map { (track.rule, $0) }
      tracks[id] = track
    }
    return actions
  }
}
