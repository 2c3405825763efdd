import CFFmpeg
import Core

#if canImport(Glibc)
  import Glibc
#endif

/// A failure of one source, printed as one line that names the source
/// (password masked) and says what went wrong and, where useful, what to do.
public struct VideoError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Reason: Sendable, Equatable {
    case invalidSource(String)
    case unknownScheme(String)
    case noSuchFile
    case noSuchDevice
    case notAVideoDevice
    case permissionDenied
    case connectionRefused
    case hostUnreachable
    case timeout(seconds: Double)
    case stalled(seconds: Double)
    case unauthorized
    case forbidden
    case notFound
    case serverError
    case noVideoStream
    case unsupportedCodec(String)
    /// A picture outside `Limits.acceptsPicture` (refused before allocating for it).
    case unsupportedPicture(width: Int, height: Int)
    case endOfStream
    case ffmpeg(code: Int32, message: String)
  }

  /// The source as safe to log (see `Redaction`).
  public var source: String
  public var reason: Reason

  public init(source: String, reason: Reason) {
    self.source = source
    self.reason = reason
  }

  public var description: String { "\(source): \(reason.text)" }

  /// Live sources retry these; an operator must fix the rest (wrong path, bad URL).
  public var isPermanent: Bool {
    switch reason {
    case .invalidSource, .unknownScheme: return true
    default: return false
    }
  }
}

extension VideoError.Reason {
  var text: String {
    switch self {
    case .invalidSource(let why): return "invalid source: \(why)"
    case .unknownScheme(let scheme):
      return "unknown scheme '\(scheme):' (use rtsp://, rtsps://, v4l2:/dev/videoN, lavfi:GRAPH, file:PATH or a path)"
    case .noSuchFile: return "no such file"
    case .noSuchDevice: return "no such v4l2 device (is the camera plugged in? see `v4l2-ctl --list-devices`)"
    case .notAVideoDevice: return "not a video capture device"
    case .permissionDenied: return "permission denied (the service user needs group 'video' or read access)"
    case .connectionRefused: return "connection refused (is the camera or RTSP server up, and the port right?)"
    case .hostUnreachable: return "host unreachable"
    case .timeout(let seconds): return "timed out after \(Self.format(seconds)) s (no answer from the camera)"
    case .stalled(let seconds): return "stalled: connected but no frame for \(Self.format(seconds)) s"
    case .unauthorized: return "RTSP 401 Unauthorized (check user name and password in the URL)"
    case .forbidden: return "RTSP 403 Forbidden"
    case .notFound: return "RTSP 404 Not Found (check the stream path)"
    case .serverError: return "the camera answered with a server error (5xx)"
    case .noVideoStream: return "no video stream in this source"
    case .unsupportedCodec(let codec): return "no decoder for codec '\(codec)'"
    case .unsupportedPicture(let width, let height):
      return "picture \(width)x\(height) refused (\(Limits.pictureBounds) are accepted)"
    case .endOfStream: return "stream ended"
    case .ffmpeg(let code, let message): return "\(message) (FFmpeg error \(code))"
    }
  }

  private static func format(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
  }
}

extension VideoError {
  /// Maps an FFmpeg return code from opening or reading `spec` to a reason an
  /// operator can act on.
  init(ffmpegCode code: Int32, spec: SourceSpec) {
    let reason: Reason
    switch code {
    case cffmpeg_averror(ENOENT):
      if case .v4l2 = spec.kind { reason = .noSuchDevice } else { reason = .noSuchFile }
    case cffmpeg_averror(ENOTTY), cffmpeg_averror(ENODEV): reason = .notAVideoDevice
    case cffmpeg_averror(EACCES), cffmpeg_averror(EPERM): reason = .permissionDenied
    case cffmpeg_averror(ECONNREFUSED): reason = .connectionRefused
    case cffmpeg_averror(EHOSTUNREACH), cffmpeg_averror(ENETUNREACH): reason = .hostUnreachable
    case cffmpeg_averror(ETIMEDOUT): reason = .timeout(seconds: 0)
    case cffmpeg_error_http_unauthorized(): reason = .unauthorized
    case cffmpeg_error_http_forbidden(): reason = .forbidden
    case cffmpeg_error_http_not_found(): reason = .notFound
    case cffmpeg_error_http_server_error(): reason = .serverError
    case cffmpeg_error_stream_not_found(): reason = .noVideoStream
    case cffmpeg_error_eof(): reason = .endOfStream
    default: reason = .ffmpeg(code: code, message: FFmpegLibrary.errorString(code))
    }
    self.init(source: spec.name, reason: reason)
  }
}
