import CFFmpeg

/// The last seconds of one camera's compressed video packets, as they came
/// from the demuxer (references, no copy of the data beyond FFmpeg's own
/// refcount), so a clip can start before the moment it was asked for. It
/// always starts at a keyframe (a clip must decode from its first packet) and
/// is bounded in bytes and seconds: whole groups of pictures leave from the
/// front. Reader thread only.
final class PacketRing {
  struct Entry {
    var packet: UnsafeMutablePointer<AVPacket>
    /// Stream seconds: the packet's PTS (else its DTS) on the source's timeline.
    var time: Double
    var isKeyframe: Bool
    var bytes: Int
  }

  let maxBytes: Int
  let maxSeconds: Double
  private(set) var entries: [Entry] = []
  private(set) var bytes = 0

  init(maxBytes: Int, maxSeconds: Double) {
    self.maxBytes = maxBytes
    self.maxSeconds = maxSeconds
  }

  deinit { clear() }

  /// Keeps a reference to `packet`; nothing before the first keyframe is kept.
  func append(_ packet: UnsafePointer<AVPacket>, time: Double) {
    let isKeyframe = packet.pointee.flags & AV_PKT_FLAG_KEY != 0
    guard !entries.isEmpty || isKeyframe, let clone = av_packet_clone(packet) else { return }
    let size = Int(packet.pointee.size)
    entries.append(Entry(packet: clone, time: time, isKeyframe: isKeyframe, bytes: size))
    bytes += size
    trim()
  }

  /// The packets from the last keyframe at or before stream second `time` (or
  /// from the oldest packet kept, when the ring does not reach back so far).
  func packets(from time: Double) -> ArraySlice<Entry> {
    let start = entries.lastIndex { $0.isKeyframe && $0.time <= time } ?? 0
    return entries[start...]
  }

  /// Forgets everything (a new connection: new codec parameters, a new clock).
  func clear() {
    for entry in entries { Self.free(entry.packet) }
    entries.removeAll()
    bytes = 0
  }

  private static func free(_ packet: UnsafeMutablePointer<AVPacket>) {
    var owned: UnsafeMutablePointer<AVPacket>? = packet
    av_packet_free(&owned)
  }

  /// Drops whole groups of pictures from the front while over a bound, never
  /// the last one (its packets are what a clip starting now needs); a single
  /// group over twice the byte bound (a camera that sends no keyframes) is dropped whole.
  private func trim() {
    while bytes > maxBytes || (entries.last!.time - entries.first!.time) > maxSeconds {
      guard let next = entries.dropFirst().firstIndex(where: \.isKeyframe) else {
        if bytes > 2 * maxBytes { clear() }
        return
      }
      for index in 0..<next {
        bytes -= entries[index].bytes
        Self.free(entries[index].packet)
      }
      entries.removeFirst(next)
    }
  }
}
