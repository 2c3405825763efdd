import CFFmpeg
import Core

/// A new reference to a decoded picture's buffers (`av_frame_clone`: no pixel
/// copy), released when the last holder lets go. The decoder never writes
/// into a buffer that is still referenced, so reading it from another thread
/// later is safe.
final class DecodedPicture: @unchecked Sendable {
  private var frame: UnsafeMutablePointer<AVFrame>?

  /// nil when FFmpeg cannot allocate the reference.
  init?(referencing picture: UnsafeMutablePointer<AVFrame>) {
    guard let clone = av_frame_clone(picture) else { return nil }
    frame = clone
  }

  deinit { av_frame_free(&frame) }

  /// The picture converted with `geometry` (a converter of its own: renders run on any thread).
  func render(_ geometry: PictureGeometry) -> Picture? {
    guard let frame else { return nil }
    return FrameConverter(geometry: geometry).convert(frame)
  }
}
