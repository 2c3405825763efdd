import Video

/// The C libraries this build runs with, for `monitor version`.
public enum LibraryVersions {
  public static var summary: String { "FFmpeg: \(FFmpegVersions.text)" }
}
