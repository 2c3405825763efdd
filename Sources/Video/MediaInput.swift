import CFFmpeg
import Core

#if canImport(Glibc)
  import Glibc
#endif

/// What a source reported when it opened.
public struct StreamInfo: Sendable, Equatable {
  public var codec: String
  public var width: Int
  public var height: Int
  /// Nominal frames per second from the container, when it says.
  public var frameRate: Double?
}

/// One open connection to a source: demuxer, decoder and the reusable packet
/// and frame. Owns every FFmpeg handle it allocates; `deinit` frees them.
/// Used by one thread at a time (the source's reader).
final class MediaInput {
  private var format: UnsafeMutablePointer<AVFormatContext>?
  private var codec: UnsafeMutablePointer<AVCodecContext>?
  private var packet: UnsafeMutablePointer<AVPacket>?
  private var picture: UnsafeMutablePointer<AVFrame>?
  private let streamIndex: Int32
  /// The video stream (its codec parameters and time base: what a clip copies).
  let stream: UnsafeMutablePointer<AVStream>
  /// Told every packet of the video stream before it is decoded (the clip recorder's ring).
  var onPacket: ((UnsafePointer<AVPacket>) -> Void)?
  private let spec: SourceSpec
  /// Seconds per PTS tick of the video stream.
  private let timeBase: Double
  let info: StreamInfo
  /// Packets or frames the demuxer or decoder rejected as damaged, so far.
  private(set) var damaged = 0
  private var draining = false
  private var consecutiveReadErrors = 0
  private var lastRawPTS: Double?
  /// Seconds without a packet before the end of the stream: a frozen
  /// camera's socket timeout (after skipped damaged reads) also looks like an end.
  private(set) var endedAfterWaiting = 0.0
  private var lastPacketAt: Double?
  /// How long the read of the last packet blocked.
  private var lastPacketWait = 0.0
  private let opened = MonotonicClock.now()

  /// Opens `request` and its best video stream's decoder. Blocking calls give
  /// up when `interrupt` says so.
  init(request: InputRequest, spec: SourceSpec, interrupt: InterruptGuard, decoderThreads: Int) throws(VideoError) {
    FFmpegLibrary.ensureInitialized()
    self.spec = spec
    // A FIFO or a device opened as a file blocks in open() before FFmpeg's
    // interrupt callback can act (L10): only regular files are files.
    if case .file(let path) = spec.kind {
      var status = stat()
      if stat(path, &status) == 0 && status.st_mode & S_IFMT != S_IFREG {
        throw VideoError(
          source: spec.name,
          reason: .invalidSource("not a regular file (a FIFO, device or directory; capture devices are v4l2:/dev/…)"))
      }
    }
    var format = avformat_alloc_context()
    precondition(format != nil, "avformat_alloc_context: out of memory")
    format!.pointee.interrupt_callback = interrupt.callback

    var demuxer: UnsafePointer<AVInputFormat>?
    if let name = request.formatName {
      demuxer = av_find_input_format(name)
      guard demuxer != nil else {
        avformat_free_context(format)
        throw VideoError(source: spec.name, reason: .invalidSource("this FFmpeg has no '\(name)' input"))
      }
    }
    var dictionary: OpaquePointer?
    for (key, value) in request.options { av_dict_set(&dictionary, key, value, 0) }
    let opened = avformat_open_input(&format, request.url, demuxer, &dictionary)
    av_dict_free(&dictionary)
    guard opened >= 0, let format else { throw VideoError(ffmpegCode: opened, spec: spec) }
    self.format = format

    let probed = avformat_find_stream_info(format, nil)
    if probed < 0 {
      avformat_close_input(&self.format)
      throw VideoError(ffmpegCode: probed, spec: spec)
    }

    var decoder: UnsafePointer<AVCodec>?
    let index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
    guard index >= 0 else {
      // The codec's name is read before the context is freed (reading it
      // after was a use-after-free, found by Fuzz/fuzz-picture).
      let reason: VideoError.Reason =
        index == cffmpeg_error_decoder_not_found() ? .unsupportedCodec(Self.videoCodecName(format)) : .noVideoStream
      avformat_close_input(&self.format)
      throw VideoError(source: spec.name, reason: reason)
    }
    streamIndex = index
    for i in 0..<Int(format.pointee.nb_streams) where i != Int(index) {
      format.pointee.streams[i]!.pointee.discard = AVDISCARD_ALL
    }
    let stream = format.pointee.streams[Int(index)]!
    self.stream = stream
    timeBase = av_q2d(stream.pointee.time_base)

    codec = avcodec_alloc_context3(decoder)
    precondition(codec != nil, "avcodec_alloc_context3: out of memory")
    avcodec_parameters_to_context(codec, stream.pointee.codecpar)
    // FFmpeg then refuses oversized pictures before allocating for them.
    codec!.pointee.max_pixels = Int64(Limits.picturePixels)
    codec!.pointee.thread_count = Int32(decoderThreads)
    codec!.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
    let width = Int(stream.pointee.codecpar.pointee.width)
    let height = Int(stream.pointee.codecpar.pointee.height)
    // 0×0 means "not known before decoding"; the converter checks each picture.
    if width != 0 || height != 0, !Limits.acceptsPicture(width: width, height: height) {
      avcodec_free_context(&codec)
      avformat_close_input(&self.format)
      throw VideoError(source: spec.name, reason: .unsupportedPicture(width: width, height: height))
    }
    let codecOpened = avcodec_open2(codec, decoder, nil)
    if codecOpened < 0 {
      avcodec_free_context(&codec)
      avformat_close_input(&self.format)
      throw VideoError(ffmpegCode: codecOpened, spec: spec)
    }
    packet = av_packet_alloc()
    picture = av_frame_alloc()
    precondition(packet != nil && picture != nil, "av_packet_alloc/av_frame_alloc: out of memory")

    let rate = stream.pointee.avg_frame_rate.num > 0 ? av_q2d(stream.pointee.avg_frame_rate) : nil
    info = StreamInfo(
      codec: String(cString: avcodec_get_name(stream.pointee.codecpar.pointee.codec_id)),
      width: Int(stream.pointee.codecpar.pointee.width), height: Int(stream.pointee.codecpar.pointee.height),
      frameRate: rate)
  }

  deinit {
    av_frame_free(&picture)
    av_packet_free(&packet)
    avcodec_free_context(&codec)
    avformat_close_input(&format)
  }

  /// Seconds between frames when the container does not say (25 fps).
  var nominalFrameInterval: Double {
    guard let rate = info.frameRate, rate > 0, rate < 1000 else { return 0.04 }
    return 1 / rate
  }

  /// The next decoded picture and its raw PTS in seconds, or `nil` at the
  /// end of the stream. The picture is valid until the next call. Damaged
  /// packets are skipped and counted, never fatal. Throws when reading fails
  /// (connection lost) or was interrupted (`AVERROR_EXIT`).
  func nextPicture() throws(VideoError) -> (picture: UnsafeMutablePointer<AVFrame>, pts: Double)? {
    guard let format, let codec, let packet, let picture else { return nil }
    while true {
      let received = avcodec_receive_frame(codec, picture)
      if received == 0 {
        if picture.pointee.decode_error_flags != 0 || picture.pointee.flags & AV_FRAME_FLAG_CORRUPT != 0 {
          damaged += 1
        }
        return (picture, rawPTS(of: picture))
      }
      if received == cffmpeg_error_eof() { return nil }
      if received != cffmpeg_averror(EAGAIN) {
        damaged += 1
        continue
      }
      if draining { return nil }

      let readStarted = MonotonicClock.now()
      let read = av_read_frame(format, packet)
      if read == cffmpeg_error_eof()
        || (read < 0 && format.pointee.pb != nil && format.pointee.pb.pointee.eof_reached != 0)
      {
        // After a socket timeout the RTSP demuxer may first hand out packets
        // it had queued, then the end: count the wait of that last read too.
        endedAfterWaiting = max(MonotonicClock.now() - (lastPacketAt ?? opened), lastPacketWait)
        draining = true
        avcodec_send_packet(codec, nil)
        continue
      }
      if read < 0 {
        if read == cffmpeg_error_invalid_data(), consecutiveReadErrors < 64 {
          // A damaged container region: skip it and read on.
          consecutiveReadErrors += 1
          damaged += 1
          continue
        }
        throw readError(read)
      }
      consecutiveReadErrors = 0
      lastPacketAt = MonotonicClock.now()
      lastPacketWait = lastPacketAt! - readStarted
      defer { av_packet_unref(packet) }
      if packet.pointee.stream_index != streamIndex { continue }
      onPacket?(packet)
      let sent = avcodec_send_packet(codec, packet)
      if sent < 0 && sent != cffmpeg_averror(EAGAIN) { damaged += 1 }
    }
  }

  private func readError(_ code: Int32) -> VideoError {
    if code == cffmpeg_error_exit() {
      return VideoError(source: spec.name, reason: .stalled(seconds: 0))
    }
    return VideoError(ffmpegCode: code, spec: spec)
  }

  /// PTS in seconds; synthesised from the previous one when the stream has none.
  private func rawPTS(of picture: UnsafeMutablePointer<AVFrame>) -> Double {
    let ticks = picture.pointee.best_effort_timestamp
    let pts: Double
    if ticks != cffmpeg_nopts_value() {
      pts = Double(ticks) * timeBase
    } else {
      pts = (lastRawPTS ?? -nominalFrameInterval) + nominalFrameInterval
    }
    lastRawPTS = pts
    return pts
  }

  private static func videoCodecName(_ format: UnsafeMutablePointer<AVFormatContext>) -> String {
    for i in 0..<Int(format.pointee.nb_streams) {
      let parameters = format.pointee.streams[i]!.pointee.codecpar.pointee
      if parameters.codec_type == AVMEDIA_TYPE_VIDEO { return String(cString: avcodec_get_name(parameters.codec_id)) }
    }
    return "unknown"
  }
}
