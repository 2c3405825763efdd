import Foundation
import TestSupport
import Testing

/// 100,000 frames through `monitor probe` (a child process, so RSS is its
/// own) from a looping file: every packet, frame, scaler and reopened input
/// must be freed, so resident memory stays flat after warm-up.
@Suite struct SoakTests {
  @Test func hundredThousandLoopedFramesKeepRSSFlat() throws {
    let directory = try Repository.temporaryDirectory("soak")
    let video = try TestVideos.make(codec: .h264, seconds: 4, fps: 25, width: 64, height: 48, in: directory)
    let output = try ChildProcess.run(
      try Executables.path("monitor"),
      ["probe", video.path, "--loop", "--fps", "0", "--size", "32", "--frames", "100000", "--quiet"])
    let summary = try #require(output.split(separator: "\n").last { $0.hasPrefix("probe: ") }, "\(output)")
    #expect(summary.hasPrefix("probe: 100000 frames (100000 decoded, 0 damaged, 0 reconnects, 999 loops)"))
    let warm = try #require(Self.figure("rss_warm_mib", in: String(summary)))
    let end = try #require(Self.figure("rss_end_mib", in: String(summary)))
    // A leaked AVPacket (~100 B) or AVFrame (~1 KB) per frame would add 10–100 MiB.
    #expect(end - warm < 2, "\(summary)")
  }

  private static func figure(_ name: String, in text: String) -> Double? {
    guard let range = text.firstRange(of: "\(name)=") else { return nil }
    return Double(text[range.upperBound...].prefix { $0.isNumber || $0 == "." })
  }
}
