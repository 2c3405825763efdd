/// Exactly what is handed to `avformat_open_input`: demuxer name, URL and
/// options. Built by a pure function so the mapping from operator settings
/// to FFmpeg options is tested without opening anything.
public struct InputRequest: Sendable, Equatable {
  /// `nil` lets libavformat probe (files).
  public var formatName: String?
  public var url: String
  /// Sorted by key so requests compare equal regardless of build order.
  public var options: [(key: String, value: String)]

  public static func == (a: InputRequest, b: InputRequest) -> Bool {
    a.formatName == b.formatName && a.url == b.url && a.options.elementsEqual(b.options, by: { $0 == $1 })
  }

  public init(spec: SourceSpec, options sourceOptions: SourceOptions) {
    var options: [String: String] = [:]
    switch spec.kind {
    case .file(let path):
      formatName = nil
      // Through FFmpeg's file protocol only: a path such as `http://host/x` or
      // `subfile,,start,0,end,9,,:/etc/shadow` is a file name, never a
      // protocol, and a playlist cannot make a file reach out to the network.
      url = "file:" + path
      options["protocol_whitelist"] = "file"
    case .rtsp(let rtspURL):
      formatName = "rtsp"
      url = rtspURL
      // What RTSP needs (control over TCP or TLS, media over RTP/UDP); nothing else.
      options["protocol_whitelist"] = "rtp,rtsp,rtsps,srtp,tcp,tls,udp"
      options["rtsp_transport"] = sourceOptions.rtspTransport.rawValue
      // Socket I/O timeout in microseconds: a dead camera never hangs a read.
      options["timeout"] = String(Int(sourceOptions.openTimeout * 1_000_000))
      // Large frames from 4K cameras overflow the default UDP buffer.
      if sourceOptions.rtspTransport == .udp { options["buffer_size"] = "4194304" }
    case .v4l2(let device):
      formatName = "video4linux2"
      url = device
    case .lavfi(let graph):
      formatName = "lavfi"
      url = graph
    }
    self.options = options.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
  }
}
