import CFFmpeg
import Core

/// RGB frame → JPEG bytes with libavcodec's MJPEG encoder, for episode
/// snapshots. Keeps its encoder, scaler and picture between calls and
/// rebuilds them only when the frame size changes.
public final class JPEGEncoder {
  /// 1 (smallest) … 100 (best).
  public let quality: Int
  private var codec: UnsafeMutablePointer<AVCodecContext>?
  private var picture: UnsafeMutablePointer<AVFrame>?
  private var packet: UnsafeMutablePointer<AVPacket>?
  private var scaler: OpaquePointer?
  private var width = 0
  private var height = 0

  public init(quality: Int = 85) {
    precondition((1...100).contains(quality), "JPEG quality is 1…100")
    self.quality = quality
    FFmpegLibrary.ensureInitialized()
  }

  deinit { release() }

  /// Encodes `frame`'s model picture; throws only if libavcodec lacks its MJPEG encoder.
  public func encode(_ frame: Frame) throws(VideoError) -> [UInt8] { try encode(frame.picture) }

  /// Encodes `frame`; throws only if libavcodec lacks its MJPEG encoder.
  public func encode(_ frame: Picture) throws(VideoError) -> [UInt8] {
    try prepare(width: frame.width, height: frame.height)
    guard let codec, let picture, let packet else { return [] }
    av_frame_make_writable(picture)
    frame.pixels.withUnsafeBufferPointer { rgb in
      var source: UnsafePointer<UInt8>? = rgb.baseAddress
      var sourceStride = Int32(frame.width * 3)
      withUnsafeMutablePointer(to: &picture.pointee.data) { planes in
        planes.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { planes in
          withUnsafePointer(to: &picture.pointee.linesize) { strides in
            strides.withMemoryRebound(to: Int32.self, capacity: 8) { strides in
              _ = sws_scale(scaler, &source, &sourceStride, 0, Int32(frame.height), planes, strides)
            }
          }
        }
      }
    }
    picture.pointee.quality = codec.pointee.global_quality
    picture.pointee.pts += 1
    var sent = avcodec_send_frame(codec, picture)
    var bytes: [UInt8] = []
    while sent >= 0 {
      sent = avcodec_receive_packet(codec, packet)
      if sent < 0 { break }
      bytes.append(contentsOf: UnsafeBufferPointer(start: packet.pointee.data, count: Int(packet.pointee.size)))
      av_packet_unref(packet)
    }
    return bytes
  }

  private func prepare(width: Int, height: Int) throws(VideoError) {
    if codec != nil && width == self.width && height == self.height { return }
    release()
    guard let encoder = avcodec_find_encoder(AV_CODEC_ID_MJPEG) else {
      throw VideoError(source: "snapshot encoder", reason: .unsupportedCodec("mjpeg"))
    }
    codec = avcodec_alloc_context3(encoder)
    guard let codec else { preconditionFailure("avcodec_alloc_context3: out of memory") }
    codec.pointee.width = Int32(width)
    codec.pointee.height = Int32(height)
    // Full-range 4:2:0, what every JPEG viewer expects.
    codec.pointee.pix_fmt = AV_PIX_FMT_YUVJ420P
    codec.pointee.color_range = AVCOL_RANGE_JPEG
    codec.pointee.time_base = AVRational(num: 1, den: 25)
    codec.pointee.flags |= AV_CODEC_FLAG_QSCALE
    // quality 100 → qscale 2 (best), 1 → 31 (worst).
    let qscale = 2 + (100 - quality) * 29 / 99
    codec.pointee.global_quality = Int32(qscale) * FF_QP2LAMBDA
    let opened = avcodec_open2(codec, encoder, nil)
    guard opened >= 0 else {
      throw VideoError(
        source: "snapshot encoder", reason: .ffmpeg(code: opened, message: FFmpegLibrary.errorString(opened)))
    }
    picture = av_frame_alloc()
    packet = av_packet_alloc()
    guard let picture, packet != nil else { preconditionFailure("av_frame_alloc: out of memory") }
    picture.pointee.format = AV_PIX_FMT_YUVJ420P.rawValue
    picture.pointee.width = Int32(width)
    picture.pointee.height = Int32(height)
    precondition(av_frame_get_buffer(picture, 0) >= 0, "av_frame_get_buffer: out of memory")
    scaler = sws_getContext(
      Int32(width), Int32(height), AV_PIX_FMT_RGB24, Int32(width), Int32(height), AV_PIX_FMT_YUV420P,
      SWS_BICUBIC | SWS_ACCURATE_RND, nil, nil, nil)
    PixelFormats.setRange(scaler, sourceFullRange: true, destinationFullRange: true)
    self.width = width
    self.height = height
  }

  private func release() {
    sws_freeContext(scaler)
    scaler = nil
    av_packet_free(&packet)
    av_frame_free(&picture)
    avcodec_free_context(&codec)
  }
}
