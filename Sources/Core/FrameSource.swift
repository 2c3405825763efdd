/// Something that yields frames of one camera: a file, an RTSP stream, a v4l2
/// device, a virtual test source, or a scripted double in tests.
///
/// `nextFrame()` blocks the calling thread until a frame is ready. Live sources
/// reconnect on their own and only return `nil` once stopped; a file source
/// returns `nil` at its end unless it loops.
public protocol FrameSource: AnyObject, Sendable {
  /// What the source reads, safe to log: any password is masked.
  var name: String { get }
  /// The next frame, `nil` when the source has finished or was stopped.
  /// Throws only when the source cannot go on (e.g. a file that does not exist).
  func nextFrame() throws -> Frame?
  /// Makes a blocked or future `nextFrame()` return `nil` promptly. Thread-safe.
  func stop()
}
