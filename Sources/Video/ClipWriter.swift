import CFFmpeg

#if canImport(Glibc)
  import Glibc
#endif

/// One clip being written: the camera's compressed packets remuxed into an
/// MP4 (no re-encode), timestamps shifted so the clip starts at 0. The MP4
/// is fragmented at keyframes (`frag_keyframe+empty_moov`), so nothing
/// waits in memory for the end and a clip cut short (a crash, a full disk)
/// still plays. Written as `partial`, renamed to `path` when finished (the
/// HTTP API serves the clips directory: a clip is there only once whole).
final class ClipWriter {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  let path: String
  private let partial: String
  private var format: UnsafeMutablePointer<AVFormatContext>?
  private let inputTimeBase: AVRational
  private var origin: Int64?
  private var lastDTS = Int64.min
  /// Stream seconds (the source's timeline) of the first and last packet written.
  private(set) var firstTime: Double?
  private(set) var lastTime: Double?
  private(set) var packets = 0

  init(
    path: String, partial: String, parameters: UnsafePointer<AVCodecParameters>, timeBase: AVRational
  ) throws(Failure) {
    self.path = path
    self.partial = partial
    inputTimeBase = timeBase
    var format: UnsafeMutablePointer<AVFormatContext>?
    guard avformat_alloc_output_context2(&format, nil, "mp4", partial) >= 0, let format else {
      throw Failure(description: "\(partial): the MP4 muxer is missing from this FFmpeg")
    }
    self.format = format
    guard let stream = avformat_new_stream(format, nil),
      avcodec_parameters_copy(stream.pointee.codecpar, parameters) >= 0
    else {
      avformat_free_context(format)
      self.format = nil
      throw Failure(description: "\(partial): out of memory")
    }
    stream.pointee.codecpar.pointee.codec_tag = 0
    stream.pointee.time_base = timeBase
    var code = avio_open(&format.pointee.pb, partial, AVIO_FLAG_WRITE)
    if code >= 0 {
      var options: OpaquePointer?
      av_dict_set(&options, "movflags", "frag_keyframe+empty_moov+default_base_moof", 0)
      code = avformat_write_header(format, &options)
      av_dict_free(&options)
      if code < 0 { avio_closep(&format.pointee.pb) }
    }
    guard code >= 0 else {
      avformat_free_context(format)
      self.format = nil
      unlink(partial)
      throw Failure(description: "\(partial): \(FFmpegLibrary.errorString(code))")
    }
  }

  deinit { abandon() }

  /// Appends one packet (decode order), `time` its stream second.
  func write(_ packet: UnsafePointer<AVPacket>, time: Double) throws(Failure) {
    guard let format, let copy = av_packet_clone(packet) else { return }
    var owned: UnsafeMutablePointer<AVPacket>? = copy
    defer { av_packet_free(&owned) }
    let dts = copy.pointee.dts != cffmpeg_nopts_value() ? copy.pointee.dts : copy.pointee.pts
    guard dts != cffmpeg_nopts_value() else { return }
    let origin = self.origin ?? dts
    self.origin = origin
    // A repeated or backward DTS would make the muxer refuse the rest of the clip.
    guard dts > lastDTS else { return }
    lastDTS = dts
    copy.pointee.stream_index = 0
    copy.pointee.dts = dts - origin
    copy.pointee.pts = copy.pointee.pts == cffmpeg_nopts_value() ? dts - origin : copy.pointee.pts - origin
    copy.pointee.pos = -1
    av_packet_rescale_ts(copy, inputTimeBase, format.pointee.streams[0]!.pointee.time_base)
    let code = av_write_frame(format, copy)
    guard code >= 0 else { throw Failure(description: "\(path): \(FFmpegLibrary.errorString(code))") }
    // Decode order is not presentation order (B-frames): the span is the packets' earliest and latest time.
    firstTime = min(firstTime ?? time, time)
    lastTime = max(lastTime ?? time, time)
    packets += 1
  }

  /// Writes the trailer and renames the file into place; its size in bytes.
  func finish() throws(Failure) -> Int {
    guard let format else { throw Failure(description: "\(path): already closed") }
    let trailer = av_write_trailer(format)
    avio_closep(&format.pointee.pb)
    avformat_free_context(format)
    self.format = nil
    guard trailer >= 0 else {
      unlink(partial)
      throw Failure(description: "\(path): \(FFmpegLibrary.errorString(trailer))")
    }
    guard rename(partial, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(partial)
      throw Failure(description: "\(path): \(reason)")
    }
    var status = stat()
    return stat(path, &status) == 0 ? Int(status.st_size) : 0
  }

  /// Closes and deletes the unfinished file (a write failed, or the source stopped first).
  func abandon() {
    guard let format else { return }
    avio_closep(&format.pointee.pb)
    avformat_free_context(format)
    self.format = nil
    unlink(partial)
  }
}
