import CFFmpeg

/// Versions of the FFmpeg libraries this process runs with, for `monitor version`.
public enum FFmpegVersions {
  public static var text: String {
    func format(_ v: UInt32) -> String { "\(v >> 16).\((v >> 8) & 0xFF).\(v & 0xFF)" }
    return "libavformat \(format(avformat_version())), libavcodec \(format(avcodec_version())), "
      + "libswscale \(format(swscale_version())), libavdevice \(format(avdevice_version()))"
  }
}
