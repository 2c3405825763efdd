import ArgumentParser
import Foundation
import MonitorKit

/// `monitor probe`: open one source exactly as the daemon would and report
/// what comes out. For checking a camera URL before putting it in the config.
struct Probe: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Read one camera, device or file and print the frames the daemon would embed.",
    discussion: """
      SOURCE is rtsp://[user:pass@]host[:port]/path, rtsps://..., v4l2:/dev/videoN,
      lavfi:GRAPH (a virtual test camera), file:PATH or a plain path. Live sources
      reconnect on their own; failures are printed as one line each (passwords masked).
      Ends after --frames or --seconds, at the end of a file, or on Ctrl-C.

      Examples:
        monitor probe rtsp://admin:secret@192.168.1.20:554/Streaming/Channels/102 --seconds 10
        monitor probe v4l2:/dev/video0 --frames 1 --snapshot /tmp/cam.jpg
        monitor probe clip.mp4 --fps 0 --quiet
      """)

  @Argument(help: "What to read (see above).")
  var source: String

  @Option(help: "Model input size N: frames are resized (shortest side) and centre-cropped to N×N.")
  var size = 224

  @Option(help: "Frames per second to deliver, picked by timestamp; 0 delivers every decoded frame.")
  var fps = 2.0

  @Option(help: "Stop after this many delivered frames.")
  var frames: Int?

  @Option(help: "Stop after this many seconds.")
  var seconds: Double?

  @Flag(help: "Files only: start again at the end.")
  var loop = false

  @Option(help: "RTSP transport: tcp or udp.")
  var transport: String = "tcp"

  @Option(help: "Seconds allowed to connect.")
  var openTimeout = 10.0

  @Option(help: "Seconds without a frame before a connected source counts as down.")
  var stallTimeout = 10.0

  @Option(help: "Decoder threads (0 = one per core).")
  var decoderThreads = 1

  @Option(help: "Write the last delivered frame as JPEG to this file.")
  var snapshot: String?

  @Flag(help: "Print only the summary, not one line per frame.")
  var quiet = false

  func validate() throws {
    guard size >= 16 && size <= 4096 else { throw ValidationError("--size must be 16…4096, got \(size)") }
    guard fps >= 0 && fps <= 1000 else { throw ValidationError("--fps must be 0…1000 (0 = every frame), got \(fps)") }
    for (name, value) in [("--open-timeout", openTimeout), ("--stall-timeout", stallTimeout)]
    where !(value >= 0.1 && value <= 3600) {
      throw ValidationError("\(name) must be 0.1…3600 seconds, got \(value)")
    }
    guard (0...64).contains(decoderThreads) else {
      throw ValidationError("--decoder-threads must be 0…64 (0 = one per core), got \(decoderThreads)")
    }
    guard Prober.transports.contains(transport) else {
      throw ValidationError("--transport must be tcp or udp, got '\(transport)'")
    }
  }

  func run() throws {
    var prober = Prober(source: source)
    prober.size = size
    prober.fps = fps
    prober.frames = frames
    prober.seconds = seconds
    prober.loop = loop
    prober.transport = transport
    prober.openTimeout = openTimeout
    prober.stallTimeout = stallTimeout
    prober.decoderThreads = decoderThreads
    prober.snapshot = snapshot
    prober.quiet = quiet
    let count: Int
    do {
      count = try prober.run(print: { print($0) }, log: logLine)
    } catch let error as Prober.InvalidSource {
      throw ValidationError(error.description)
    } catch {
      logLine("\(error)")
      throw ExitCode(1)
    }
    if count == 0 { throw ExitCode(1) }
  }
}
