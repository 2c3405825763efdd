import Core
import Dispatch
import Foundation
import Video

/// `monitor probe`: read one camera, device or file and report the frames
/// the daemon would embed (the command line parses the options).
public struct Prober {
  /// The source text was not understood (a usage error, not a failure).
  public struct InvalidSource: Error, CustomStringConvertible {
    public let description: String
  }

  public var source: String
  public var size = 224
  public var fps = 2.0
  public var frames: Int?
  public var seconds: Double?
  public var loop = false
  public var transport = "tcp"
  public var openTimeout = 10.0
  public var stallTimeout = 10.0
  public var decoderThreads = 1
  public var snapshot: String?
  public var quiet = false

  /// The RTSP transports `transport` may name.
  public static let transports = RTSPTransport.allCases.map(\.rawValue)

  public init(source: String) { self.source = source }

  /// Reads until `frames`, `seconds`, the end of a file or a failure; prints
  /// one line per frame (unless `quiet`) and the summary with `print`, logs
  /// with `log`. Returns the frames delivered.
  public func run(print: (String) -> Void, log: @escaping @Sendable (String) -> Void) throws -> Int {
    var options = SourceOptions()
    options.geometry = .clip(size)
    options.sampleRate = fps > 0 ? fps : nil
    options.loop = loop
    options.rtspTransport = RTSPTransport(rawValue: transport) ?? .tcp
    options.openTimeout = openTimeout
    options.stallTimeout = stallTimeout
    options.decoderThreads = decoderThreads
    let source: VideoSource
    do {
      source = try VideoSource(url: self.source, options: options) { log($0.description) }
    } catch {
      throw InvalidSource(description: "\(error)")
    }
    if let seconds {
      DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { source.stop() }
    }
    var report = ProbeReport()
    var gate = MotionGate()
    while frames.map({ report.count < $0 }) ?? true, let frame = try source.nextFrame() {
      let motion = gate.evaluate(frame)
      report.record(frame, warmupFrames: frames.map { max($0 / 10, 1) } ?? 100)
      if !quiet {
        print(
          "pts=\(String(format: "%.3f", frame.pts)) \(frame.width)x\(frame.height) "
            + "from=\(frame.sourceWidth)x\(frame.sourceHeight) motion=\(String(format: "%.3f", motion.changedFraction))"
            + (motion.passed ? " embed" : " skip"))
      }
    }
    if let snapshot, let last = report.last {
      let jpeg = try JPEGEncoder().encode(last)
      try Data(jpeg).write(to: URL(fileURLWithPath: snapshot))
      log("probe: wrote \(snapshot) (\(jpeg.count) bytes, \(last.width)x\(last.height))")
    }
    print(report.summary(source.stats))
    return report.count
  }
}

/// Counts and memory figures of one probe run.
struct ProbeReport {
  private(set) var count = 0
  private(set) var last: Frame?
  private var started = Date()
  private var warmupRSS: Int?

  mutating func record(_ frame: Frame, warmupFrames: Int) {
    count += 1
    last = frame
    if count == warmupFrames { warmupRSS = ResidentMemory.bytes() }
  }

  func summary(_ stats: SourceStats) -> String {
    let elapsed = Date().timeIntervalSince(started)
    let mib = { (bytes: Int) in String(format: "%.1f", Double(bytes) / 1_048_576) }
    let end = ResidentMemory.bytes()
    return "probe: \(count) frames (\(stats.decoded) decoded, \(stats.damaged) damaged, "
      + "\(stats.reconnects) reconnects, \(stats.loops) loops) in \(String(format: "%.1f", elapsed)) s; "
      + "rss_warm_mib=\(mib(warmupRSS ?? end)) rss_end_mib=\(mib(end))"
  }
}
