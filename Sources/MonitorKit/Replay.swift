import Core
import Dispatch
import Rules
import Video

/// Offline evaluation of rules on a file or stream: the same per-frame path
/// the daemon runs (sampling, motion gate, embedding, temporal model,
/// calibration, episodes), synchronously, returning the score timeline and
/// the events the daemon would have sent.
public struct Replay: Sendable {
  public struct Step: Sendable, Equatable {
    public var time: Double
    /// Smoothed score per rule, in `rules` order.
    public var scores: [Double]
  }

  public struct Result: Sendable {
    public var rules: [Rule]
    public var steps: [Step]
    public var events: [AlertEvent]
    public var frames: Int
  }

  public var fps: Double = 2
  public var motionGate = false
  public var camera = "replay"
  /// Live sources (RTSP, v4l2): stop after this many seconds (required for them).
  public var seconds: Double?

  public init() {}

  /// Runs `rules` over `url`; `progress(seconds)` is called every frame.
  public func run(
    url: String, rules: [Rule], engine: Engine, progress: (Double) -> Void = { _ in }
  ) throws -> Result {
    var options = SourceOptions()
    options.size = engine.imageSize
    options.sampleRate = fps
    options.stallTimeout = 30
    let source = try VideoSource(url: url, options: options)
    if source.spec.isLive {
      guard let seconds else {
        throw VideoError(
          source: source.name, reason: .invalidSource("a live source needs --seconds (how long to score it)"))
      }
      DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { source.stop() }
    }
    var state = CameraState(camera: camera, engine: engine)
    var gate = MotionGate()
    let snapshots = JPEGEncoder()
    var result = Result(rules: rules, steps: [], events: [], frames: 0)
    var lastTime = 0.0
    while let frame = try source.nextFrame() {
      result.frames += 1
      lastTime = frame.pts
      progress(frame.pts)
      if motionGate && !gate.evaluate(frame).passed { continue }
      let embedding = engine.embed([frame])[0]
      let (events, scores) = state.process(
        frame: frame, embedding: embedding, rules: rules, engine: engine, snapshots: snapshots)
      result.events += events
      result.steps.append(
        Step(time: frame.pts, scores: rules.map { rule in scores.first { $0.rule == rule.id }?.smoothed ?? 0 }))
    }
    result.events += state.finish(time: lastTime, engine: engine, snapshots: snapshots)
    return result
  }
}
