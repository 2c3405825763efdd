import ArgumentParser
import MonitorKit

#if canImport(Glibc)
  import Glibc
#endif

/// `monitor`: text-prompted video alerting daemon for edge boxes.
@main
struct Monitor: AsyncParsableCommand {
  /// The entry point: process-wide settings, then the command.
  static func main() async {
    // A closed pipe (`--events-file /dev/stdout | head`) is a write error to
    // report, not a reason to die: EPIPE instead of SIGPIPE.
    signal(SIGPIPE, SIG_IGN)
    OperatorLog.bootstrap()
    await main(nil)
  }

  static let version = "0.1.0"

  static let configuration = CommandConfiguration(
    commandName: "monitor",
    abstract: "Watch camera streams and alert over MQTT when the video matches a text rule.",
    discussion: """
      Reads RTSP cameras, v4l2 devices and files with FFmpeg, embeds sampled frames
      with a CLIP image encoder, keeps a constant-memory Mamba state per camera and
      matches it against standing text rules.

      Examples:
        monitor probe rtsp://user:pass@10.0.0.5:554/stream1
        monitor probe v4l2:/dev/video0 --frames 10 --snapshot /tmp/cam.jpg
        monitor embed --model /var/lib/monitor/clip --text "a person falls" --image still.jpg
      """,
    version: version,
    subcommands: [
      Run.self, AddRule.self, RemoveRule.self, ListRules.self, EnableRule.self, DisableRule.self, CheckConfig.self,
      ReplayCommand.self, EventsCommand.self, SearchCommand.self, MemoryCommand.self, FeedbackCommand.self, Probe.self,
      ModelCommand.self,
      Embed.self, Version.self,
    ]
  )
}

struct Version: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Print the version and the libraries it was built with.")

  func run() {
    print("monitor \(Monitor.version)")
    print(LibraryVersions.summary)
  }
}
