import Foundation

/// Test videos made with the ffmpeg CLI at test time (nothing binary is
/// committed). Cached per process by their parameters.
public enum TestVideos {
  public enum Codec: String, Sendable {
    case h264
    case mjpeg
  }

  /// `seconds` of ffmpeg's `testsrc2` at `fps`, `width`×`height`, in `container`
  /// ("mp4", "ts", "mkv", "avi"). H.264 uses a keyframe every second.
  public static func make(
    codec: Codec, seconds: Double, fps: Int, width: Int, height: Int, container: String = "mp4",
    in directory: URL
  ) throws -> URL {
    let url = directory.appendingPathComponent(
      "\(codec.rawValue)-\(width)x\(height)-\(fps)fps-\(seconds)s.\(container)")
    if FileManager.default.fileExists(atPath: url.path) { return url }
    var arguments = ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"]
    arguments += ["-i", "testsrc2=size=\(width)x\(height):rate=\(fps):duration=\(seconds)"]
    switch codec {
    case .h264:
      arguments += ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", String(fps), "-bf", "0"]
    case .mjpeg:
      arguments += ["-c:v", "mjpeg", "-q:v", "5", "-pix_fmt", "yuvj420p"]
    }
    arguments.append(url.path)
    try ChildProcess.run("/usr/bin/ffmpeg", arguments)
    return url
  }

  /// A still image in any format ffmpeg writes (png, jpg, ppm): `testsrc2`'s first frame.
  public static func still(width: Int, height: Int, format: String, in directory: URL) throws -> URL {
    let url = directory.appendingPathComponent("still-\(width)x\(height).\(format)")
    try ChildProcess.run(
      "/usr/bin/ffmpeg",
      [
        "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=\(width)x\(height)",
        "-frames:v", "1", url.path,
      ])
    return url
  }

  /// Copy of `source` with `count` bytes of garbage written at `fraction` of its length.
  public static func damaged(_ source: URL, garbageAt fraction: Double, count: Int, in directory: URL) throws -> URL {
    var bytes = try [UInt8](Data(contentsOf: source))
    let start = Int(Double(bytes.count) * fraction)
    // Deterministic garbage (xorshift), so a failure reproduces.
    var state: UInt32 = 0x9E37_79B9
    for i in start..<min(bytes.count, start + count) {
      state ^= state << 13
      state ^= state >> 17
      state ^= state << 5
      bytes[i] = UInt8(truncatingIfNeeded: state)
    }
    let url = directory.appendingPathComponent("damaged-\(source.lastPathComponent)")
    try Data(bytes).write(to: url)
    return url
  }

  /// Copy of `source` cut to `fraction` of its length.
  public static func truncated(_ source: URL, keeping fraction: Double, in directory: URL) throws -> URL {
    let bytes = try Data(contentsOf: source)
    let url = directory.appendingPathComponent("truncated-\(source.lastPathComponent)")
    try bytes.prefix(Int(Double(bytes.count) * fraction)).write(to: url)
    return url
  }
}
