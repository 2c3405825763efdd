import CFFmpeg

/// Process-wide FFmpeg setup, done once before the first open.
enum FFmpegLibrary {
  /// Registers libavdevice's inputs (v4l2, lavfi) and silences FFmpeg's own
  /// stderr logging: every failure reaches the operator through `VideoError`
  /// and `SourceEvent` instead, one line each, with passwords masked.
  /// `MONITOR_FFMPEG_LOG=debug|verbose|info|warning|error` re-enables it.
  static let initialized: Bool = {
    avdevice_register_all()
    av_log_set_level(logLevel(named: getenvString("MONITOR_FFMPEG_LOG")))
    return true
  }()

  static func ensureInitialized() { _ = initialized }

  static func errorString(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    return buffer.withUnsafeMutableBufferPointer { buffer in
      String(cString: cffmpeg_error_string(code, buffer.baseAddress, buffer.count))
    }
  }

  private static func logLevel(named name: String?) -> Int32 {
    switch name?.lowercased() {
    case "debug": return AV_LOG_DEBUG
    case "verbose": return AV_LOG_VERBOSE
    case "info": return AV_LOG_INFO
    case "warning": return AV_LOG_WARNING
    case "error": return AV_LOG_ERROR
    default: return AV_LOG_QUIET
    }
  }

  private static func getenvString(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
  }
}
