import CFFmpeg
import Core
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A camera, device, virtual source or file, read with FFmpeg and delivered
/// as sampled, model-ready frames. Live sources never give up: on error, end
/// of stream or a stall they reconnect with backoff, and PTS stays monotonic.
///
/// `nextFrame()` must be called from one thread at a time (the camera's
/// reader); `stop()` and `stats` may be called from any thread.
public final class VideoSource: FrameSource, @unchecked Sendable {
  public let spec: SourceSpec
  public let options: SourceOptions
  public var name: String { spec.name }

  private let request: InputRequest
  private let interrupt = InterruptGuard()
  private let onEvent: @Sendable (SourceEvent) -> Void
  private let counters = Mutex(SourceStats())
  // Reader-thread state (see the class comment).
  private var input: MediaInput?
  private var backoff: ReconnectBackoff
  private var timeline = Timeline()
  private var sampler: FrameSampler
  private let converter: FrameConverter
  private let regionConverters: [String: FrameConverter]
  /// The regions cut from each picture (any thread sets them, the reader reads them).
  private let regionsInUse = Mutex(Set<String>())
  private var retryAt: Double?
  private var lastFrameWall: Double?
  private var reportedDamage = 0
  private var lastDamageReport = -Double.infinity
  private var random = SystemRandomNumberGenerator()
  /// Wall time at which PTS 0 is due, for `options.realtime`.
  private var paceOrigin: Double?

  /// Parses `url` (see `SourceSpec`); errors only for a malformed URL.
  public convenience init(
    url: String, options: SourceOptions = SourceOptions(), onEvent: @escaping @Sendable (SourceEvent) -> Void = { _ in }
  ) throws(VideoError) {
    self.init(spec: try SourceSpec(parsing: url), options: options, onEvent: onEvent)
  }

  public init(
    spec: SourceSpec, options: SourceOptions = SourceOptions(),
    onEvent: @escaping @Sendable (SourceEvent) -> Void = { _ in }
  ) {
    self.spec = spec
    self.options = options
    self.onEvent = onEvent
    request = InputRequest(spec: spec, options: options)
    backoff = ReconnectBackoff(policy: options.backoff)
    sampler = FrameSampler(fps: options.sampleRate)
    converter = FrameConverter(geometry: options.geometry)
    regionConverters = options.regions.mapValues { FrameConverter(geometry: $0) }
  }

  /// Which of `options.regions` to cut from the pictures delivered from now on (any thread).
  public func cutRegions(_ names: Set<String>) { regionsInUse.withLock { $0 = names } }

  public var stats: SourceStats { counters.withLock { $0 } }

  public func stop() { interrupt.cancel() }

  /// The next sampled frame. Returns `nil` once stopped, or at the end of a
  /// non-looping file. Throws only for a file source that cannot be read at all
  /// (no such file, no video stream): live sources retry every failure.
  public func nextFrame() throws(VideoError) -> Frame? {
    while !interrupt.isCancelled {
      guard let input = try currentInput() else { continue }
      interrupt.arm(seconds: options.stallTimeout)
      let next: (picture: UnsafeMutablePointer<AVFrame>, pts: Double)?
      do {
        next = try input.nextPicture()
      } catch {
        if interrupt.isCancelled { break }
        var error = error
        if case .stalled = error.reason { error.reason = .stalled(seconds: options.stallTimeout) }
        try lose(input, because: error)
        continue
      }
      reportDamage(input.damaged)
      guard let (picture, rawPTS) = next else {
        try endOfStream(input)
        if spec.isLive || options.loop { continue }
        return nil
      }
      let now = MonotonicClock.now()
      lastFrameWall = now
      backoff.frameReceived(at: now)
      let pts = timeline.map(raw: rawPTS, minStep: input.nominalFrameInterval)
      options.clips?.timeline(offset: pts - rawPTS)
      counters.withLock { $0.decoded += 1 }
      guard sampler.accept(pts: pts) else { continue }
      if options.realtime && !spec.isLive { pace(pts) }
      guard let model = converter.convert(picture) else {
        let reason = VideoError.Reason.unsupportedPicture(
          width: Int(picture.pointee.width), height: Int(picture.pointee.height))
        try refuse(input, because: VideoError(source: spec.name, reason: reason))
        continue
      }
      var frame = Frame(
        pts: pts, width: model.width, height: model.height, pixels: model.pixels,
        sourceWidth: Int(picture.pointee.width), sourceHeight: Int(picture.pointee.height))
      for name in regionsInUse.withLock({ $0 }) {
        if let region = regionConverters[name]?.convert(picture) { frame.regions[name] = region }
      }
      if let geometry = options.snapshot, let held = DecodedPicture(referencing: picture) {
        frame.snapshot = SnapshotSource { held.render(geometry) }
      }
      counters.withLock { $0.delivered += 1 }
      return frame
    }
    input = nil
    return nil
  }

  /// The open input, opening it when due. `nil` means "not yet, loop again"
  /// (a backoff wait was served).
  private func currentInput() throws(VideoError) -> MediaInput? {
    if let input { return input }
    if let retryAt {
      MonotonicClock.sleep(seconds: retryAt - MonotonicClock.now()) { interrupt.isCancelled }
      self.retryAt = nil
      if interrupt.isCancelled { return nil }
    }
    interrupt.arm(seconds: options.openTimeout)
    let openStarted = MonotonicClock.now()
    do {
      let opened = try MediaInput(
        request: request, spec: spec, interrupt: interrupt, decoderThreads: options.decoderThreads)
      input = opened
      if let clips = options.clips {
        clips.opened(stream: opened.stream)
        opened.onPacket = { clips.packet($0) }
      }
      reportedDamage = 0
      backoff.connected(at: MonotonicClock.now())
      // Outage time counts: the temporal model decays by real seconds.
      let gap = lastFrameWall.map { MonotonicClock.now() - $0 } ?? 0
      timeline.beginSegment(gap: gap)
      counters.withLock {
        $0.connected = true
        $0.lastError = nil
      }
      onEvent(.connected(source: spec.name, info: opened.info))
      return opened
    } catch {
      if interrupt.isCancelled { return nil }
      let error = Self.namingTimeouts(error, after: MonotonicClock.now() - openStarted, limit: options.openTimeout)
      if !spec.isLive || error.isPermanent {
        counters.withLock { $0.lastError = error.description }
        throw error
      }
      scheduleRetry(after: error)
      return nil
    }
  }

  /// FFmpeg reports an expired open deadline in several ways (interrupted,
  /// ETIMEDOUT, or "invalid data" when the RTSP reply never came); when the
  /// open took the whole timeout, the operator needs to hear "timed out".
  private static func namingTimeouts(_ error: VideoError, after elapsed: Double, limit: Double) -> VideoError {
    var error = error
    switch error.reason {
    case .stalled, .timeout: error.reason = .timeout(seconds: limit)
    case .ffmpeg where elapsed >= limit * 0.9: error.reason = .timeout(seconds: limit)
    default: break
    }
    return error
  }

  /// A live connection failed or stalled: drop it and schedule a reconnect.
  /// A file that fails mid-read ends (or loops) instead.
  private func lose(_ failed: MediaInput, because error: VideoError) throws(VideoError) {
    reportDamage(failed.damaged)
    input = nil
    counters.withLock { $0.connected = false }
    if spec.isLive {
      counters.withLock { $0.reconnects += 1 }
      scheduleRetry(after: error)
    } else if !options.loop {
      counters.withLock { $0.lastError = error.description }
      throw error
    }
  }

  /// A picture this source cannot deliver: a file (looping or not) ends with
  /// the error, since every pass would meet it again; a live source reconnects
  /// with backoff, in case the camera is reconfigured.
  private func refuse(_ failed: MediaInput, because error: VideoError) throws(VideoError) {
    guard spec.isLive else {
      input = nil
      counters.withLock {
        $0.connected = false
        $0.lastError = error.description
      }
      throw error
    }
    try lose(failed, because: error)
  }

  private func endOfStream(_ ended: MediaInput) throws(VideoError) {
    if spec.isLive {
      // A frozen camera looks like the end of the stream when the stall
      // deadline interrupted the read, or the socket timeout (`openTimeout`)
      // beat it: the operator needs "stalled". The silence is measured from
      // the last packet, which may have come from the demuxer's buffer after
      // the camera froze, hence half the stall timeout (a camera that ends
      // its stream does so while packets still flow).
      let stalled = interrupt.hasExpired || ended.endedAfterWaiting >= options.stallTimeout / 2
      let reason: VideoError.Reason = stalled ? .stalled(seconds: options.stallTimeout) : .endOfStream
      try lose(ended, because: VideoError(source: spec.name, reason: reason))
    } else {
      input = nil
      counters.withLock { $0.connected = false }
      if options.loop {
        counters.withLock { $0.loops += 1 }
        // No wall-clock gap: the next segment starts one frame interval later.
        lastFrameWall = nil
        onEvent(.looped(source: spec.name))
      }
    }
  }

  private func scheduleRetry(after error: VideoError) {
    let now = MonotonicClock.now()
    let unit = Double(random.next() >> 11) / Double(1 << 53)
    let action = backoff.failed(at: now, random: unit)
    switch action {
    case .reconnect(let delay):
      retryAt = now + delay
      counters.withLock { $0.lastError = error.description }
      onEvent(.disconnected(error, retryIn: delay))
    }
  }

  /// Sleeps until the frame at `pts` is due by the wall clock.
  private func pace(_ pts: Double) {
    let now = MonotonicClock.now()
    let origin = paceOrigin ?? (now - pts)
    paceOrigin = origin
    MonotonicClock.sleep(seconds: origin + pts - now) { interrupt.isCancelled }
  }

  /// Damage is reported at most every 10 s so a broken stream cannot flood the log.
  private func reportDamage(_ connectionDamage: Int) {
    let newDamage = connectionDamage - reportedDamage
    guard newDamage > 0 else { return }
    reportedDamage = connectionDamage
    let total = counters.withLock {
      $0.damaged += newDamage
      return $0.damaged
    }
    let now = MonotonicClock.now()
    if now - lastDamageReport >= 10 {
      lastDamageReport = now
      onEvent(.damaged(source: spec.name, total: total))
    }
  }
}
