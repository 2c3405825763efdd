import CFFmpeg
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Clips around episodes for one camera. The source hands it every
/// compressed video packet on its reader thread (`PacketRing`: the last
/// seconds, from a keyframe); `begin` and `end` (any thread) ask for a clip
/// from a stream time to another. A clip starts at the last keyframe at or
/// before `start − preRoll` that the ring still holds, takes every packet
/// after it, and ends with the first keyframe at or after `end + postRoll`
/// (whole groups of pictures and that keyframe: every frame of a clip
/// decodes), or where the connection ends (the clip is cut short there). Clips are remuxed, never
/// re-encoded; the directory is kept under `maxBytes`, oldest first. A write
/// that fails (a full disk) loses that clip alone: one log line, and the
/// episode's events are not touched.
public final class ClipRecorder: @unchecked Sendable {
  public struct Settings: Sendable, Equatable {
    /// Where `<episode id>.mp4` files go (finished clips only: they are
    /// written in `directory + ".partial"` and moved in when whole).
    public var directory: String
    public var preRoll: Double = 5
    public var postRoll: Double = 5
    /// All clips of every camera in `directory` together stay under this.
    public var maxBytes = 2_048 << 20
    /// The packet ring per camera: at most this many bytes and seconds.
    public var ringBytes = 16 << 20
    public var ringSeconds = 60.0
    /// A clip stops growing after this many seconds (an episode that lasts hours).
    public var maxClipSeconds = 600.0

    public init(directory: String) { self.directory = directory }
  }

  /// A finished clip: its file and the stream times of its first and last packet.
  public struct Clip: Sendable, Equatable {
    public var id: String
    public var path: String
    public var bytes: Int
    public var startTime: Double
    public var endTime: Double
  }

  public let settings: Settings
  private let camera: String
  private let onClip: @Sendable (Clip) -> Void
  private let log: @Sendable (String) -> Void
  private let requests = Mutex<[Request]>([])

  private enum Request {
    case begin(id: String, at: Double)
    case end(id: String, at: Double)
  }

  // Reader thread.
  private(set) var ring: PacketRing
  private var parameters: UnsafeMutablePointer<AVCodecParameters>?
  private var timeBase = AVRational(num: 1, den: 1)
  /// Seconds of the source's timeline minus raw stream seconds (set by the source per frame).
  private var offset = 0.0
  private var recording: [String: (writer: ClipWriter, until: Double?)] = [:]
  private var unsupported: String?
  private var reportedUnsupported = false

  /// `onClip`: called on the camera's reader thread when a clip is finished.
  public init(
    settings: Settings, camera: String, onClip: @escaping @Sendable (Clip) -> Void,
    log: @escaping @Sendable (String) -> Void
  ) {
    self.settings = settings
    self.camera = camera
    self.onClip = onClip
    self.log = log
    ring = PacketRing(maxBytes: settings.ringBytes, maxSeconds: settings.ringSeconds)
  }

  deinit {
    avcodec_parameters_free(&parameters)
    for (_, clip) in recording { clip.writer.abandon() }
  }

  /// Asks for the clip of episode `id`, which started at stream time `start` (any thread).
  public func begin(id: String, at start: Double) { requests.withLock { $0.append(.begin(id: id, at: start)) } }

  /// The episode `id` ended at stream time `end`: its clip runs `postRoll` past it (any thread).
  public func end(id: String, at end: Double) { requests.withLock { $0.append(.end(id: id, at: end)) } }

  // MARK: Reader thread (the source)

  /// A new connection: its codec parameters; the ring starts afresh and clips in progress end here.
  func opened(stream: UnsafePointer<AVStream>) {
    finishAll(reason: "the connection ended")
    ring.clear()
    avcodec_parameters_free(&parameters)
    parameters = avcodec_parameters_alloc()
    avcodec_parameters_copy(parameters, stream.pointee.codecpar)
    timeBase = stream.pointee.time_base
    let codec = stream.pointee.codecpar.pointee.codec_id
    unsupported =
      codec == AV_CODEC_ID_RAWVIDEO
      ? "raw video has no compressed packets to keep" : nil
    if let unsupported, !reportedUnsupported {
      reportedUnsupported = true
      log("camera \(camera): no clips: \(unsupported) (events still carry snapshots)")
    }
  }

  /// Where the source's timeline is: stream seconds = raw seconds + `offset`.
  func timeline(offset: Double) { self.offset = offset }

  /// One packet of the video stream, in decode order.
  func packet(_ packet: UnsafePointer<AVPacket>) {
    let pending = requests.withLock { requests in
      defer { requests.removeAll() }
      return requests
    }
    for request in pending { handle(request) }
    guard unsupported == nil else { return }
    let ticks = packet.pointee.pts != cffmpeg_nopts_value() ? packet.pointee.pts : packet.pointee.dts
    guard ticks != cffmpeg_nopts_value() else { return }
    // The ring keeps stream seconds (the source's timeline, which only moves
    // forward), not raw ones: a camera whose clock stands still or jumps back
    // would otherwise defeat the ring's seconds bound and the pre-roll search.
    let time = Double(ticks) * av_q2d(timeBase) + offset
    ring.append(packet, time: time)
    let isKeyframe = packet.pointee.flags & AV_PKT_FLAG_KEY != 0
    for (id, clip) in recording {
      let last = clip.until.map { time >= $0 && isKeyframe } ?? false
      let full = clip.writer.firstTime.map { time - $0 > settings.maxClipSeconds } ?? false
      do {
        if !full { try clip.writer.write(packet, time: time) }
      } catch {
        fail(id, error)
        continue
      }
      // The keyframe at or after the post-roll closes the clip: it decodes on its own.
      if last { finish(id) }
    }
  }

  /// The source stopped (the daemon is stopping): clips in progress end here.
  public func close() {
    let pending = requests.withLock { requests in
      defer { requests.removeAll() }
      return requests
    }
    for request in pending { handle(request) }
    finishAll(reason: "the camera stopped")
  }

  private func handle(_ request: Request) {
    switch request {
    case .begin(let id, let start):
      guard unsupported == nil, let parameters, recording[id] == nil else { return }
      do {
        let partial = settings.directory + ".partial"
        for directory in [settings.directory, partial] { try Self.makeDirectory(directory) }
        let writer = try ClipWriter(
          path: settings.directory + "/" + Self.fileName(id), partial: partial + "/" + Self.fileName(id),
          parameters: parameters, timeBase: timeBase)
        for entry in ring.packets(from: start - settings.preRoll) { try writer.write(entry.packet, time: entry.time) }
        recording[id] = (writer, nil)
      } catch {
        log("camera \(camera): clip of episode \(id) not written: \(error)")
      }
    case .end(let id, let end):
      guard let clip = recording[id] else { return }
      recording[id] = (clip.writer, end + settings.postRoll)
    }
  }

  private func finishAll(reason: String) {
    for id in recording.keys.sorted() {
      if recording[id]?.until == nil { log("camera \(camera): clip of episode \(id) cut short: \(reason)") }
      finish(id)
    }
  }

  private func finish(_ id: String) {
    guard let clip = recording.removeValue(forKey: id) else { return }
    do {
      let bytes = try clip.writer.finish()
      guard let first = clip.writer.firstTime, let last = clip.writer.lastTime else { return }
      prune(keeping: clip.writer.path)
      onClip(Clip(id: id, path: clip.writer.path, bytes: bytes, startTime: first, endTime: last))
    } catch {
      log("camera \(camera): clip of episode \(id) not written: \(error)")
    }
  }

  private func fail(_ id: String, _ error: Error) {
    guard let clip = recording.removeValue(forKey: id) else { return }
    clip.writer.abandon()
    log("camera \(camera): clip of episode \(id) not written: \(error)")
  }

  /// Oldest clips go first while the directory is over `maxBytes` (every
  /// camera's clips share it; another camera deleting the same file first is
  /// harmless), never `newest`, the clip just written.
  private func prune(keeping newest: String) {
    guard let stream = opendir(settings.directory) else { return }
    var clips: [(path: String, modified: Int, bytes: Int)] = []
    while let entry = readdir(stream) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      guard name.hasSuffix(".mp4") else { continue }
      let path = settings.directory + "/" + name
      var status = stat()
      guard stat(path, &status) == 0 else { continue }
      clips.append((path, status.st_mtim.tv_sec * 1_000_000_000 + status.st_mtim.tv_nsec, Int(status.st_size)))
    }
    closedir(stream)
    clips.sort { $0.modified < $1.modified }
    var total = clips.map(\.bytes).reduce(0, +)
    for clip in clips where total > settings.maxBytes && clip.path != newest {
      unlink(clip.path)
      total -= clip.bytes
    }
  }

  /// `path` as a directory (made when missing; its parent, `state_dir`, exists).
  private static func makeDirectory(_ path: String) throws(ClipWriter.Failure) {
    if mkdir(path, 0o755) == 0 { return }
    let reason = errno
    var status = stat()
    guard reason == EEXIST, stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
      throw ClipWriter.Failure(
        description: "\(path): \(reason == EEXIST ? "not a directory" : String(cString: strerror(reason)))")
    }
  }

  /// `<id>.mp4` for episode ids (UUIDs we made); anything else never becomes a path.
  static func fileName(_ id: String) -> String {
    let safe = !id.isEmpty && id.unicodeScalars.allSatisfy { $0.properties.isASCIIHexDigit || $0 == "-" }
    return (safe ? id : "invalid") + ".mp4"
  }
}
