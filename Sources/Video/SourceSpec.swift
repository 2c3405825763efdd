/// Where frames come from, parsed from the text an operator writes in the
/// config (`url = "rtsp://..."`). Parsing is pure so it is tested from fixtures.
public struct SourceSpec: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    /// A local video or still-image file.
    case file(path: String)
    /// An RTSP (or RTSPS) camera, read with libavformat's RTSP demuxer.
    case rtsp(url: String)
    /// A V4L2 capture device through libavdevice, e.g. `/dev/video0`.
    case v4l2(device: String)
    /// A libavfilter source graph through libavdevice, e.g. `testsrc=size=640x480:rate=25`.
    case lavfi(graph: String)
  }

  public let kind: Kind
  /// The text as written, for error messages (use `name`, never this, in logs).
  public let text: String

  /// Accepted forms: `rtsp://…`, `rtsps://…`, `v4l2:/dev/videoN`, `lavfi:GRAPH`,
  /// `file:/path`, or a plain path.
  public init(parsing text: String) throws(VideoError) {
    self.text = text
    let trimmed = text.trimmingWhitespace()
    guard !trimmed.isEmpty else {
      throw VideoError(source: "(empty source)", reason: .invalidSource("the source URL is empty"))
    }
    let lower = trimmed.lowercased()
    if lower.hasPrefix("rtsp://") || lower.hasPrefix("rtsps://") {
      // FFmpeg knows the scheme only in lower case ("RTSP://" was retried forever).
      let schemeEnd = trimmed.firstRange(of: "://")!.lowerBound
      kind = .rtsp(url: trimmed[..<schemeEnd].lowercased() + trimmed[schemeEnd...])
    } else if lower.hasPrefix("v4l2:") {
      var device = String(trimmed.dropFirst("v4l2:".count))
      if device.hasPrefix("//") { device.removeFirst(2) }
      guard device.hasPrefix("/") else {
        throw VideoError(
          source: Redaction.mask(trimmed), reason: .invalidSource("expected a device path such as v4l2:/dev/video0"))
      }
      kind = .v4l2(device: device)
    } else if lower.hasPrefix("lavfi:") {
      let graph = String(trimmed.dropFirst("lavfi:".count))
      guard !graph.isEmpty else {
        throw VideoError(source: trimmed, reason: .invalidSource("expected a filter graph such as lavfi:testsrc"))
      }
      kind = .lavfi(graph: graph)
    } else if lower.hasPrefix("file:") {
      var path = String(trimmed.dropFirst("file:".count))
      if path.hasPrefix("//") { path.removeFirst(2) }
      kind = .file(path: path)
    } else if let scheme = Self.scheme(of: trimmed) {
      throw VideoError(source: Redaction.mask(trimmed), reason: .unknownScheme(scheme))
    } else {
      kind = .file(path: trimmed)
    }
  }

  /// Safe to log: any password in the URL is replaced by `***`.
  public var name: String { Redaction.mask(text.trimmingWhitespace()) }

  /// Cameras and virtual sources are live: on error or end they reconnect.
  public var isLive: Bool {
    if case .file = kind { return false }
    return true
  }

  /// `scheme` of `scheme://…` or `scheme:…` when it looks like a URL scheme
  /// (letters first, at least two characters so `C:` style paths are not schemes).
  private static func scheme(of text: String) -> String? {
    guard let colon = text.firstIndex(of: ":") else { return nil }
    let scheme = text[..<colon]
    guard scheme.count >= 2, let first = scheme.first, first.isLetter,
      scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." })
    else { return nil }
    return String(scheme)
  }
}

extension String {
  func trimmingWhitespace() -> String {
    let scalars = unicodeScalars
    guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
    let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
    return String(scalars[start...end])
  }
}
