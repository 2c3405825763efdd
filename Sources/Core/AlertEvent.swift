/// One episode event for subscribers (README.md, "MQTT": `<prefix>/events`).
/// Field names follow what Frigate users already automate against.
public struct AlertEvent: Sendable, Equatable {
  public enum Kind: String, Sendable { case new, update, end }

  /// Why an `end` was not seen by the camera itself.
  public enum Reason: String, Sendable {
    /// The daemon stopped without ending the episode (crash, SIGKILL, power
    /// loss); sent at the next start.
    case restart
  }

  public var kind: Kind
  /// Episode id (UUID): the same for new, updates and end; lets subscribers de-duplicate.
  public var id: String
  public var camera: String
  public var rule: String
  /// The rule's first phrasing.
  public var label: String
  public var score: Double
  public var topScore: Double
  public var threshold: Double
  /// Stream time (seconds) the episode started, and ended (nil while open).
  public var startTime: Double
  public var endTime: Double?
  /// Stream time of the frame that produced this event.
  public var frameTime: Double
  /// JPEG of the episode's best frame so far.
  public var snapshot: [UInt8]?
  /// The best frame's rolling embeddings (`BestFrame`, safetensors), kept
  /// beside the snapshot in the event history; not part of the payload.
  public var snapshotState: [UInt8]?
  /// Which model produced the score (for subscribers comparing models).
  public var model: String
  /// When the frame that produced this event was decoded (this process only;
  /// not part of the payload): the publisher measures frame-to-PUBACK latency.
  public var decodedAt: ContinuousClock.Instant?
  /// Only on an `end` the camera did not cause (see `Reason`); nil otherwise.
  public var reason: Reason?
  /// Transition rules: stream time the rule's `before` last held before the
  /// match began (a fall: when the person was last seen standing); nil otherwise.
  public var beforeTime: Double?
  /// Rules that watch regions: the region the episode's best frame so far matched in; nil: the whole frame.
  public var region: String?
  /// Only on the `update` sent once an ended episode's clip is written: the clip.
  public var clip: Clip?

  /// A clip of an episode: a file in the daemon's clips directory and the
  /// stream times its first and last frame were taken at.
  public struct Clip: Sendable, Equatable {
    public var file: String
    public var startTime: Double
    public var endTime: Double

    public init(file: String, startTime: Double, endTime: Double) {
      self.file = file
      self.startTime = startTime
      self.endTime = endTime
    }
  }

  public init(
    kind: Kind, id: String, camera: String, rule: String, label: String, score: Double, topScore: Double,
    threshold: Double, startTime: Double, endTime: Double?, frameTime: Double, snapshot: [UInt8]?, model: String,
    decodedAt: ContinuousClock.Instant? = nil
  ) {
    self.kind = kind
    self.id = id
    self.camera = camera
    self.rule = rule
    self.label = label
    self.score = score
    self.topScore = topScore
    self.threshold = threshold
    self.startTime = startTime
    self.endTime = endTime
    self.frameTime = frameTime
    self.snapshot = snapshot
    self.model = model
    self.decodedAt = decodedAt
  }

  public var hasSnapshot: Bool { snapshot != nil }

  /// The episode is over: its `end`, or the `update` that follows it with its clip.
  public var hasEnded: Bool { kind == .end || endTime != nil }

  /// One log line: `new person-falls on hallway: score 0.82 (top 0.82, threshold 0.6) at 12.5 s [id]`.
  public var summary: String {
    func f(_ x: Double) -> String { String(Double((x * 100).rounded()) / 100) }
    let end = (endTime.map { ", ended at \(f($0)) s" } ?? "") + (reason.map { " (\($0.rawValue))" } ?? "")
    let camera = self.camera + (region.map { " (\($0))" } ?? "")
    return "\(kind.rawValue) \(rule) on \(camera): score \(f(score)) (top \(f(topScore)), threshold \(f(threshold))) "
      + "started at \(f(startTime)) s\(beforeTime.map { " (before held at \(f($0)) s)" } ?? "")\(end) [\(id)]"
  }
}

/// Where events go: the MQTT publisher in production, a log or a recording
/// sink elsewhere. Called from the inference worker; must not block for long.
public protocol AlertSink: AnyObject, Sendable {
  func deliver(_ event: AlertEvent)
}
