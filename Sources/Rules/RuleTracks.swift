/// Every rule's scoring state on one camera, behind one call per frame: for
/// each rule that applies, its calibrated score on the rolling embedding at
/// the rule's horizon, the median smoother and the episode state machine
/// (for a transition rule, `before` scored and smoothed the same way gates
/// the episode through a `TransitionGate`).
/// The rule list is reconciled at each step: a rule removed, disabled or
/// moved to other cameras ends its open episode; an edited rule keeps its
/// episode under the new settings. Pure; constant memory per rule.
public struct RuleTracks<Snapshot: Sendable>: Sendable {
  /// One rule's score at one frame (for replay timelines).
  public struct Score: Sendable, Equatable {
    public var rule: String
    public var raw: Double
    public var smoothed: Double
    /// Transition rules: the smoothed score of `before` (nil: a plain rule).
    public var before: Double?

    public init(rule: String, raw: Double, smoothed: Double, before: Double? = nil) {
      self.rule = rule
      self.raw = raw
      self.smoothed = smoothed
      self.before = before
    }
  }

  /// What one step produced: episode actions (with the rule each belongs to) and scores.
  public struct Step: Sendable {
    public var actions: [(rule: Rule, action: EpisodeTracker<Snapshot>.Action)] = []
    public var scores: [Score] = []
  }

  private struct Track: Sendable {
    var rule: Rule
    var smoother = ScoreSmoother()
    var beforeSmoother = ScoreSmoother()
    var gate: TransitionGate
    var tracker: EpisodeTracker<Snapshot>

    init(rule: Rule) {
      self.rule = rule
      gate = TransitionGate(within: rule.within)
      tracker = EpisodeTracker(settings: .init(rule: rule))
    }
  }

  public let camera: String
  private var tracks: [String: Track] = [:]

  public init(camera: String) { self.camera = camera }

  /// One frame. `rolling`: the temporal model's embeddings, one per
  /// `Rule.horizons` entry (a single one serves every horizon); `scorer`: the
  /// rule's calibrated scorers, nil when they cannot be built (the rule is skipped).
  public mutating func observe(
    rolling: [[Float]], time: Double, snapshot: @autoclosure () -> Snapshot, rules: [Rule],
    scorer: (Rule) -> RuleScorer?
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
      var track = tracks[rule.id] ?? Track(rule: rule)
      if track.rule != rule {
        track.rule = rule
        track.tracker.settings = .init(rule: rule)
        track.gate.within = rule.within
      }
      let embedding = rule.embedding(in: rolling)
      let raw = scorer.present.score(embedding)
      let smoothed = track.smoother.add(raw, time: time)
      var gate: (mayOpen: Bool, beforeHeld: Double?) = (true, nil)
      var before: Double?
      if rule.isTransition, let beforeScorer = scorer.before {
        let held = track.beforeSmoother.add(beforeScorer.score(embedding), time: time)
        before = held
        gate = track.gate.observe(
          time: time, beforeHolds: held >= rule.effectiveBeforeThreshold, matches: smoothed >= rule.threshold)
      }
      step.scores.append(Score(rule: rule.id, raw: raw, smoothed: smoothed, before: before))
      step.actions += track.tracker.observe(
        time: time, score: smoothed, snapshot: frame(), mayOpen: gate.mayOpen, beforeTime: gate.beforeHeld
      ).map { (rule, $0) }
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
