import Config
import Core
import Foundation
import ModelIO
import Rules
import Synchronization
import Video

/// One camera from decoder to events. The reader half (`nextFrame`, `read`)
/// runs on the camera's own thread: decode, sample, motion gate, and a
/// restart with backoff whenever the source gives up (a file camera whose
/// file is missing or broken is retried, not abandoned). The inference half
/// (`step`, `finish`) runs on the inference worker: temporal state, rule
/// scores and episodes (`CameraState`). `replay` drives the same two halves
/// on one thread.
public final class CameraPipeline: @unchecked Sendable {
  public let id: CameraID
  public let settings: Configuration.Camera
  private let source: VideoSource
  private let log: @Sendable (String) -> Void
  // Reader thread.
  /// Per view: the whole frame's gate, and each region's (a small thing
  /// moving in a region is a small change of the whole frame).
  private var gates: [CameraView: MotionGate] = [:]
  private let gateSettings: MotionGate.Settings
  private var backoff = ReconnectBackoff()
  private let stopped = Mutex(false)
  // Inference thread.
  private var state: CameraState
  private var lastTime = 0.0
  /// Frames the sampler delivered so far, gated out or not (reader thread).
  public private(set) var sampled = 0
  /// Stream time of the last sampled frame (reader thread).
  public private(set) var lastSampledTime = 0.0
  // Any thread.
  private let counters = Mutex((embedded: 0, still: 0, latency: LatencySamples()))

  /// Long-term memory for search (the daemon with `[memory]` on; replay keeps none).
  private let memory: CameraMemory?

  /// Clips around episodes (the daemon with `[clips]` on; replay keeps none).
  private let clipRecorder: ClipRecorder?
  private let episodeClips: EpisodeClips?

  /// `realtime`: pace a file camera to its timestamps (the daemon); replay reads as fast as it can.
  /// `snapshots`: frames carry the camera's view for alert snapshots (the daemon; replay shows none).
  /// `clips`: keep the stream's packets and write a clip around each
  /// episode; `onClip` gets the `update` that names it (on any thread).
  public init(
    id: CameraID, settings: Configuration.Camera, engine: Engine, realtime: Bool, snapshots: Bool = false,
    clips: ClipRecorder.Settings? = nil, onClip: @escaping @Sendable (AlertEvent) -> Void = { _ in },
    memory: MemoryBlockSettings? = nil, stallTimeout: Double? = nil, log: @escaping @Sendable (String) -> Void
  ) throws(VideoError) {
    self.id = id
    self.memory = memory.map {
      CameraMemory(camera: id.name, settings: $0, wallClock: { Date().timeIntervalSince1970 })
    }
    self.settings = settings
    self.log = log
    var options = SourceOptions()
    options.geometry = engine.geometry
    // Alert snapshots show the camera's view, not the model's square crop.
    if snapshots { options.snapshot = PictureGeometry(size: Self.snapshotSide, resize: .fit) }
    let rate = settings.fps ?? engine.nominalRate
    if let warning = engine.rateWarning(camera: id.name, fps: rate) { log(warning) }
    options.sampleRate = rate
    options.regions = Dictionary(uniqueKeysWithValues: settings.regions.map { ($0.name, engine.geometry(of: $0.box)) })
    options.rtspTransport = settings.transport
    options.loop = settings.loop
    options.realtime = realtime
    if let clips {
      let paired = EpisodeClips(deliver: onClip)
      episodeClips = paired
      clipRecorder = ClipRecorder(settings: clips, camera: id.name, onClip: { paired.finished($0) }, log: log)
      options.clips = clipRecorder
    } else {
      (episodeClips, clipRecorder) = (nil, nil)
    }
    if let stallTimeout { options.stallTimeout = stallTimeout }
    source = try VideoSource(url: settings.url, options: options) { log("camera \(id): \($0)") }
    var gateSettings = MotionGate.Settings()
    gateSettings.minChangedFraction = settings.motionThreshold
    self.gateSettings = gateSettings
    regionNames = Set(settings.regions.map(\.name))
    state = CameraState(camera: id.name, engine: engine, regions: regionNames)
  }

  /// Longest side of an alert snapshot, in pixels (the camera's view, aspect kept, never enlarged).
  public static let snapshotSide = 640

  public var isLive: Bool { source.spec.isLive }
  public var sourceName: String { source.name }

  // MARK: Reader half

  /// The next sampled frame (with the regions in use cut from it) and the
  /// views the motion gates found still (nothing changed: they need not be
  /// embedded); nil at the end of a file or once stopped. Throws what the
  /// source throws (a file that cannot be read).
  public func nextFrame() throws(VideoError) -> (frame: Frame, still: Set<CameraView>)? {
    guard let frame = try source.nextFrame() else { return nil }
    sampled += 1
    lastSampledTime = frame.pts
    guard settings.motion else { return (frame, []) }
    var still: Set<CameraView> = []
    let views = [CameraView.whole] + frame.regions.keys.map(CameraView.region)
    gates = gates.filter { views.contains($0.key) }
    for view in views {
      guard let picture = frame.picture(view) else { continue }
      if !gates[view, default: MotionGate(settings: gateSettings)].evaluate(picture, pts: frame.pts).passed {
        still.insert(view)
      }
    }
    return (frame, still)
  }

  /// The reader thread's loop: frames into `queue` until stopped or the file
  /// ends. A source that throws is reported and restarted with backoff
  /// (1 s doubling to 30 s), so one broken camera never stops for good.
  public func read(into queue: FrameQueue) {
    defer { clipRecorder?.close() }  // clips in progress end where the stream did
    while !stopped.withLock({ $0 }) {
      do {
        while let (frame, still) = try nextFrame() {
          backoff.frameReceived(at: Self.now)
          queue.push(.init(camera: id, frame: frame, still: still))
        }
        return
      } catch {
        let delay: Double
        switch backoff.failed(at: Self.now, random: .random(in: 0..<1)) {
        case .reconnect(let after): delay = after
        }
        log("camera \(id): \(error); retrying in \(String(format: "%.1f", delay)) s")
        let until = Self.now + delay
        while Self.now < until && !stopped.withLock({ $0 }) {
          Thread.sleep(forTimeInterval: min(0.05, until - Self.now))
        }
      }
    }
  }

  /// Ends the reader half (any thread).
  public func stop() {
    stopped.withLock { $0 = true }
    source.stop()
  }

  // MARK: Inference half

  /// The camera's region names.
  public let regionNames: Set<String>
  /// What the rules on this camera score (`use(rules:)`), in a fixed order
  /// (the whole frame, then regions by name) so batches are reproducible.
  public private(set) var views: [CameraView] = [.whole]
  /// Per view, the embedding a still picture steps with: the last one computed.
  private var lastEmbeddings: [CameraView: [Float]] = [:]

  /// Sets what is embedded from now on: the views these rules (those on for
  /// this camera) score. The whole frame is embedded unless every rule
  /// watches regions only, so its temporal state stays warm for a rule that
  /// comes later; regions only while a rule watches them (the source cuts
  /// nothing else). Call before each frame is stepped (cheap when nothing changed).
  public func use(rules: [Rule]) {
    var wanted = Set(rules.flatMap { $0.views(onCamera: id.name, regions: regionNames) })
    if wanted.allSatisfy({ $0 == .whole }) { wanted.insert(.whole) }
    guard wanted != Set(views) else { return }
    views = wanted.sorted { ($0.regionName ?? "") < ($1.regionName ?? "") }  // names are never empty
    source.cutRegions(Set(wanted.compactMap(\.regionName)))
  }

  /// What `frame` needs from the image encoder: the pictures of views in use
  /// that changed (or have no embedding yet), and for the still ones the
  /// last embedding to step with again.
  public func pictures(
    of frame: Frame, still: Set<CameraView>
  ) -> (embed: [(view: CameraView, picture: Picture)], reuse: [CameraView: [Float]]) {
    var embed: [(view: CameraView, picture: Picture)] = []
    var reuse: [CameraView: [Float]] = [:]
    for view in views {
      if still.contains(view), let last = lastEmbeddings[view] {
        reuse[view] = last
      } else if let picture = frame.picture(view) {
        embed.append((view, picture))
      }
    }
    return (embed, reuse)
  }

  /// One frame and its embeddings per view (for a still view, the last one
  /// again, see `pictures`): advances the temporal states, scores the rules
  /// that apply to this camera, and returns the events and scores it causes.
  /// Still frames keep the temporal model at the camera's rate (a trained
  /// adapter expects its frames at that rate) and time flowing for the
  /// rules, at no CLIP cost. `still`: every view was reused.
  public func step(
    frame: Frame, embeddings: [CameraView: [Float]], still: Bool = false, rules: [Rule], engine: Engine
  ) -> (events: [PendingEvent], scores: [CameraState.Score]) {
    lastTime = frame.pts
    lastEmbeddings = embeddings
    memory?.add(embeddings, frame: frame)
    var result = state.process(frame: frame, embeddings: embeddings, rules: rules, engine: engine)
    result.events += askForClips(result.events)
    counters.withLock {
      if still { $0.still += 1 } else { $0.embedded += 1 }
      $0.latency.add(since: frame.decodedAt)
    }
    return result
  }

  /// Ends every open episode (stop, end of a replayed file) at `time`
  /// (default: the last frame this pipeline stepped).
  public func finish(time: Double? = nil, engine: Engine) -> [PendingEvent] {
    let events = state.finish(time: time ?? lastTime, engine: engine)
    return events + askForClips(events)
  }

  /// A `new` starts its episode's clip (from the pre-roll before its start);
  /// an `end` sets where the clip stops. Returns the clip `update`s of ended
  /// episodes whose clips are already written (cut short), to follow their `end`.
  private func askForClips(_ events: [PendingEvent]) -> [PendingEvent] {
    guard let clipRecorder, let episodeClips else { return [] }
    var updates: [PendingEvent] = []
    for event in events.map(\.event) {
      switch event.kind {
      case .new: clipRecorder.begin(id: event.id, at: event.startTime)
      case .end:
        clipRecorder.end(id: event.id, at: event.endTime ?? event.frameTime)
        if let update = episodeClips.ended(event) { updates.append(PendingEvent(event: update, snapshot: nil)) }
      case .update: break
      }
    }
    return updates
  }

  /// Memory blocks closed since the last call, and (`includingOpen`) copies
  /// of those in progress (inference thread; empty without `[memory]`).
  func takeMemory(includingOpen: Bool) -> [MemoryBlock] { memory?.take(includingOpen: includingOpen) ?? [] }

  /// The temporal state to save (inference thread: a copy, no I/O); nil before the first frame.
  func savedTemporalState() -> TemporalStateStore.Saved? { state.savedTemporalState() }

  /// Before the first frame: resume from a saved state (see `CameraState.restoreTemporalState`).
  func restoreTemporalState(_ file: SafeTensors) throws(ModelError) -> Double {
    try state.restoreTemporalState(file)
  }

  // MARK: Stats (any thread)

  public var embedded: Int { counters.withLock { $0.embedded } }

  /// Totals, and the latencies of frames scored since the last call.
  public func takeStats(dropped: Int) -> PipelineStats.Camera {
    let (embedded, latency) = counters.withLock { ($0.embedded, $0.latency.take()) }
    let stats = source.stats
    return PipelineStats.Camera(
      name: id.name, connected: stats.connected, decoded: stats.decoded, embedded: embedded, dropped: dropped,
      reconnects: stats.reconnects, latency: latency)
  }

  public var isConnected: Bool { source.stats.connected }

  /// The decoder's totals: frames decoded, reconnects, connected now.
  var sourceStats: SourceStats { source.stats }

  private static var now: Double { Date().timeIntervalSinceReferenceDate }
}
