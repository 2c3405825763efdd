import Core

/// Every rule's scoring state on one camera, behind one call per frame: for
/// each rule that applies, its calibrated score on the rolling embedding at
/// the rule's horizon, the median smoother and the episode state machine
/// (for a transition rule, `before` scored and smoothed the same way gates
/// the episode through a `TransitionGate`). A rule that watches regions is
/// scored and smoothed per region; the episode follows the best of them, so
/// it is on while any region is.
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
    /// The region whose score this is, the best of the rule's (nil: the whole frame).
    public var region: String?

    public init(rule: String, raw: Double, smoothed: Double, before: Double? = nil, region: String? = nil) {
      self.rule = rule
      self.raw = raw
      self.smoothed = smoothed
      self.before = before
      self.region = region
    }
  }

  /// What one step produced: episode actions (with the rule each belongs to) and scores.
  public struct Step: Sendable {
    public var actions: [(rule: Rule, action: EpisodeTracker<Snapshot>.Action)] = []
    public var scores: [Score] = []
  }

  private struct Track: Sendable {
    var rule: Rule
    /// Per view the rule scores (the whole frame, or each of its regions).
    var smoothers: [CameraView: ScoreSmoother] = [:]
    var beforeSmoothers: [CameraView: ScoreSmoother] = [:]
    var gate: TransitionGate
    var tracker: EpisodeTracker<Snapshot>

    init(rule: Rule) {
      self.rule = rule
      gate = TransitionGate(within: rule.within)
      tracker = EpisodeTracker(settings: .init(rule: rule))
    }
  }

  public let camera: String
  /// The camera's region names (`[[cameras.regions]]`).
  public let regions: Set<String>
  private var tracks: [String: Track] = [:]

  public init(camera: String, regions: Set<String> = []) {
    self.camera = camera
    self.regions = regions
  }

  /// One frame. `rolling`: per view of the camera, the temporal model's
  /// embeddings, one per `Rule.horizons` entry (a single one serves every
  /// horizon); a rule whose views are all missing this frame keeps its state
  /// and is not scored. `snapshot`: what an episode keeps of this frame for a
  /// view. `scorer`: the rule's calibrated scorers, nil when they cannot be
  /// built (the rule is skipped).
  public mutating func observe(
    rolling: [CameraView: [[Float]]], time: Double, snapshot: (CameraView) -> Snapshot, rules: [Rule],
    scorer: (Rule) -> RuleScorer?
  ) -> Step {
    var step = Step()
    let active = rules.filter { !$0.views(onCamera: camera, regions: regions).isEmpty }
    for (id, var track) in tracks where !active.contains(where: { $0.id == id }) {
      step.actions += track.tracker.finish(time: time).map { (track.rule, $0) }
      tracks[id] = nil
    }
    // Rendered at most once per view, and only when a tracker keeps this frame.
    var rendered: [CameraView: Snapshot] = [:]
    func frame(_ view: CameraView) -> Snapshot {
      if let kept = rendered[view] { return kept }
      let picture = snapshot(view)
      rendered[view] = picture
      return picture
    }
    for rule in active {
      let views = rule.views(onCamera: camera, regions: regions).filter { rolling[$0] != nil }
      guard !views.isEmpty, let scorer = scorer(rule) else { continue }
      var track = tracks[rule.id] ?? Track(rule: rule)
      if track.rule != rule {
        track.rule = rule
        track.tracker.settings = .init(rule: rule)
        track.gate.within = rule.within
        // Regions the edited rule no longer watches are forgotten (constant memory).
        track.smoothers = track.smoothers.filter { rule.views.contains($0.key) }
        track.beforeSmoothers = track.beforeSmoothers.filter { rule.views.contains($0.key) }
      }
      // Each view is scored and smoothed on its own; the rule follows the best.
      var best: (view: CameraView, raw: Double, smoothed: Double)?
      var before: Double?
      for view in views {
        let embedding = rule.embedding(in: rolling[view]!)
        let raw = scorer.present.score(embedding)
        let smoothed = track.smoothers[view, default: ScoreSmoother()].add(raw, time: time)
        if best == nil || smoothed > best!.smoothed { best = (view, raw, smoothed) }
        if rule.isTransition, let beforeScorer = scorer.before {
          let held = track.beforeSmoothers[view, default: ScoreSmoother()].add(
            beforeScorer.score(embedding), time: time)
          before = max(before ?? held, held)
        }
      }
      guard let best else { continue }
      var gate: (mayOpen: Bool, beforeHeld: Double?) = (true, nil)
      if let before {
        gate = track.gate.observe(
          time: time, beforeHolds: before >= rule.effectiveBeforeThreshold, matches: best.smoothed >= rule.threshold)
      }
      step.scores.append(
        Score(rule: rule.id, raw: best.raw, smoothed: best.smoothed, before: before, region: best.view.regionName))
      step.actions += track.tracker.observe(
        time: time, score: best.smoothed, snapshot: frame(best.view), mayOpen: gate.mayOpen,
        beforeTime: gate.beforeHeld
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
