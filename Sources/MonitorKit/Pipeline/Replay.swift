import Config
import Core
import Dispatch
import Foundation
import History
import Rules
import Video

/// Offline evaluation of rules on a file or stream: the daemon's own camera
/// pipeline (sampling, motion gate, embedding, temporal model, calibration,
/// episodes) driven on one thread, returning the score timeline and the
/// events the daemon would have sent.
public struct Replay: Sendable {
  public struct Step: Sendable, Equatable {
    public var time: Double
    /// Smoothed score per rule, in `rules` order.
    public var scores: [Double]
    /// Smoothed score of each rule's `before`, in `rules` order (nil: a plain rule).
    public var before: [Double?] = []
    /// Rules that watch regions: the region each rule's score is of (its best), in `rules` order.
    public var regions: [String?] = []
    /// SigLIP models only: their own sigmoid probability of each rule's text
    /// for this frame's image embedding (`Engine.sigmoidProbability`), unsmoothed.
    public var sigmoid: [Double]?
  }

  public struct Result: Sendable {
    public var rules: [Rule]
    public var steps: [Step]
    public var events: [AlertEvent]
    /// Frames the sampler delivered.
    public var frames: Int
    /// Of those, frames CLIP embedded (the motion gate's still frames reuse the last embedding).
    public var embedded: Int = 0
  }

  /// nil: the temporal model's own rate (`Engine.nominalRate`).
  public var fps: Double?
  public var motionGate = false
  public var camera = "replay"
  /// The replayed camera's regions (`[[cameras.regions]]`), for rules that watch them.
  public var regions: [Configuration.Camera.Region] = []
  /// Live sources (RTSP, v4l2): stop after this many seconds (required for them).
  public var seconds: Double?
  /// Where each episode's best frame is written as `<episode id>.jpg`, as the
  /// daemon keeps it; nil: no pictures.
  public var snapshots: String?
  /// Where the camera's log lines go (a rate the temporal model was not trained at, a reconnect).
  public var log: @Sendable (String) -> Void = { _ in }

  public init() {}

  /// Runs `rules` over `url`; `progress(seconds)` is called every embedded frame.
  public func run(
    url: String, rules: [Rule], engine: Engine, progress: (Double) -> Void = { _ in }
  ) throws -> Result {
    var settings = Configuration.Camera(name: camera, url: url)
    settings.fps = fps
    settings.motion = motionGate
    settings.regions = regions
    let pipeline = try CameraPipeline(
      id: CameraID(index: 0, name: camera), settings: settings, engine: engine, realtime: false,
      snapshots: snapshots != nil, stallTimeout: 30, log: log)
    if pipeline.isLive {
      guard let seconds else {
        throw VideoError(
          source: pipeline.sourceName, reason: .invalidSource("a live source needs --seconds (how long to score it)"))
      }
      DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { pipeline.stop() }
    }
    var result = Result(rules: rules, steps: [], events: [], frames: 0)
    var best: [String: BestFrame] = [:]
    // Before the first frame, so the regions the rules watch are cut from it.
    pipeline.use(rules: rules)
    while let (frame, still) = try pipeline.nextFrame() {
      progress(frame.pts)
      // As the daemon: still views step with their last embedding.
      let need = pipeline.pictures(of: frame, still: still)
      var embeddings = need.reuse
      for (view, embedding) in zip(need.embed.map(\.view), engine.embed(pictures: need.embed.map(\.picture))) {
        embeddings[view] = embedding
      }
      let (events, scores) = pipeline.step(
        frame: frame, embeddings: embeddings, still: need.embed.isEmpty, rules: rules, engine: engine)
      result.events += events.map(\.event)
      for event in events { if let frame = event.snapshot { best[event.event.id] = frame } }
      let ruleScores = rules.map { rule in scores.first { $0.rule == rule.id } }
      var step = Step(
        time: frame.pts, scores: ruleScores.map { $0?.smoothed ?? 0 }, before: ruleScores.map { $0?.before },
        regions: ruleScores.map { $0?.region })
      if engine.clip.logitBias != nil {
        step.sigmoid = rules.map { rule in
          embeddings[rule.views.first!].flatMap { engine.sigmoidProbability($0, rule: rule) } ?? 0
        }
      }
      result.steps.append(step)
    }
    let finished = pipeline.finish(time: pipeline.lastSampledTime, engine: engine)
    result.events += finished.map(\.event)
    for event in finished { if let frame = event.snapshot { best[event.event.id] = frame } }
    if let snapshots { try Self.write(best, to: snapshots) }
    result.frames = pipeline.sampled
    result.embedded = pipeline.embedded
    return result
  }

  /// Each best frame as the event history keeps it: `<id>.jpg` and its rolling embeddings `<id>.state`.
  private static func write(_ frames: [String: BestFrame], to directory: String) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let encoder = JPEGEncoder()
    for (id, frame) in frames {
      let picture = directory + "/" + id + ".jpg"
      try Data(try encoder.encode(frame.picture)).write(to: URL(fileURLWithPath: picture))
      try Data(frame.encodedState).write(
        to: URL(fileURLWithPath: HistoryRecorder.statePath(of: picture)))
    }
  }
}
