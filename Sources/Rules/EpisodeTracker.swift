/// Turns one rule's smoothed scores on one camera into episodes, the way an
/// operator wants notifications: one `new` when the rule has matched for
/// `minDuration`, an `update` each time the score peaks clearly higher, one
/// `end` once it has stayed below the threshold for `endDelay`; then a
/// `cooldown` before the next `new`, and at most `maxPerPeriod` episodes per
/// `period`. A pure state machine: feed it (time, score, snapshot) and
/// perform the actions it returns. `Snapshot` is whatever the caller keeps of
/// the frame (a JPEG, a frame reference); the episode holds the best one.
public struct EpisodeTracker<Snapshot: Sendable>: Sendable {
  public struct Settings: Sendable, Equatable {
    public var threshold: Double
    public var minDuration: Double
    public var cooldown: Double
    /// Seconds below the threshold before an open episode ends (hysteresis against flicker).
    public var endDelay: Double = 2
    /// An `update` needs the peak to rise by at least this much.
    public var updateMargin: Double = 0.02
    public var maxPerPeriod: Int = 10
    public var period: Double = 3600

    public init(threshold: Double, minDuration: Double, cooldown: Double) {
      self.threshold = threshold
      self.minDuration = minDuration
      self.cooldown = cooldown
    }

    public init(rule: Rule) {
      self.init(threshold: rule.threshold, minDuration: rule.minDuration, cooldown: rule.cooldown)
      maxPerPeriod = rule.maxPerHour == 0 ? .max : rule.maxPerHour
    }
  }

  public struct Episode: Sendable {
    public var id: String
    public var startTime: Double
    public var endTime: Double?
    /// The score of the step that produced this action.
    public var score: Double
    public var topScore: Double
    public var topTime: Double
    public var snapshot: Snapshot
    /// Transition rules: stream time `before` last held before the match began.
    public var beforeTime: Double?
  }

  public enum Action: Sendable {
    case new(Episode)
    case update(Episode)
    case end(Episode)
    /// Would have opened an episode but the per-period cap was reached.
    case suppressed(time: Double)
  }

  private enum State: Sendable {
    case idle
    case rising(since: Double, peak: Double, peakTime: Double, snapshot: Snapshot, beforeTime: Double?)
    case open(Episode, lowSince: Double?)
  }

  public var settings: Settings
  private var state: State = .idle
  private var cooldownUntil = -Double.infinity
  private var recentStarts: [Double] = []
  private var makeID: @Sendable () -> String

  public init(settings: Settings, makeID: @escaping @Sendable () -> String = EpisodeID.random) {
    self.settings = settings
    self.makeID = makeID
  }

  public var isOpen: Bool {
    if case .open = state { return true }
    return false
  }

  /// One smoothed score at stream time `time`. `mayOpen` false keeps a
  /// match from opening an episode (a transition rule whose `before` did not
  /// hold, see `TransitionGate`); `beforeTime` is when it did.
  public mutating func observe(
    time: Double, score: Double, snapshot: @autoclosure () -> Snapshot, mayOpen: Bool = true,
    beforeTime: Double? = nil
  ) -> [Action] {
    let above = score >= settings.threshold
    switch state {
    case .idle:
      guard above, mayOpen, time >= cooldownUntil else { return [] }
      state = .rising(since: time, peak: score, peakTime: time, snapshot: snapshot(), beforeTime: beforeTime)
      return openIfDue(time: time, score: score)
    case .rising(let since, let peak, let peakTime, let best, let before):
      guard above, mayOpen else {
        state = .idle
        return []
      }
      state =
        score > peak
        ? .rising(since: since, peak: score, peakTime: time, snapshot: snapshot(), beforeTime: before)
        : .rising(since: since, peak: peak, peakTime: peakTime, snapshot: best, beforeTime: before)
      return openIfDue(time: time, score: score)
    case .open(var episode, let lowSince):
      episode.score = score
      if above {
        if score >= episode.topScore + settings.updateMargin {
          episode.topScore = score
          episode.topTime = time
          episode.snapshot = snapshot()
          state = .open(episode, lowSince: nil)
          return [.update(episode)]
        }
        state = .open(episode, lowSince: nil)
        return []
      }
      let since = lowSince ?? time
      if time - since >= settings.endDelay {
        return [close(episode, at: time)]
      }
      state = .open(episode, lowSince: since)
      return []
    }
  }

  /// Ends an open episode now (stream stopped, rule removed, shutdown).
  public mutating func finish(time: Double) -> [Action] {
    guard case .open(let episode, _) = state else {
      state = .idle
      return []
    }
    return [close(episode, at: time)]
  }

  private mutating func close(_ episode: Episode, at time: Double) -> Action {
    var ended = episode
    ended.endTime = time
    state = .idle
    cooldownUntil = time + settings.cooldown
    return .end(ended)
  }

  private mutating func openIfDue(time: Double, score: Double) -> [Action] {
    guard case .rising(let since, let peak, let peakTime, let snapshot, let beforeTime) = state,
      time - since >= settings.minDuration
    else {
      return []
    }
    recentStarts.removeAll { time - $0 >= settings.period }
    guard recentStarts.count < settings.maxPerPeriod else {
      state = .idle
      cooldownUntil = time + settings.cooldown
      return [.suppressed(time: time)]
    }
    recentStarts.append(time)
    let episode = Episode(
      id: makeID(), startTime: since, endTime: nil, score: score, topScore: peak, topTime: peakTime, snapshot: snapshot,
      beforeTime: beforeTime)
    state = .open(episode, lowSince: nil)
    return [.new(episode)]
  }
}

/// Random RFC 4122 version-4 UUIDs without Foundation: subscribers
/// de-duplicate redelivered events by this id.
public enum EpisodeID {
  @Sendable public static func random() -> String {
    var generator = SystemRandomNumberGenerator()
    var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
    bytes[6] = (bytes[6] & 0x0F) | 0x40
    bytes[8] = (bytes[8] & 0x3F) | 0x80
    let hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }
    return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
  }
}
