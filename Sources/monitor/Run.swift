import ArgumentParser
import Foundation
import MonitorKit

/// `monitor run`: the daemon.
struct Run: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run the daemon: watch every camera in the configuration and alert on the rules.",
    discussion: """
      Reads the configuration, loads the models and the rules directory, and watches
      every enabled camera until SIGTERM or Ctrl-C (open episodes then end). Rule
      files added, edited or removed take effect within a second; SIGHUP reloads
      them at once. Events are logged to stderr and, with --events-file, appended
      as JSON lines. MQTT delivery is configured in [mqtt].

      Examples:
        monitor run
        monitor run --config ./monitor.toml --events-file /tmp/events.jsonl
      """)

  @Option(help: "Configuration file.")
  var config = "/etc/monitor/monitor.toml"

  @Option(help: "Also append every event as one JSON line to this file.")
  var eventsFile: String?

  @Option(help: "Stop after this many seconds (tests, demos).")
  var seconds: Double?

  @Option(help: "Seconds between stats messages on <prefix>/stats.")
  var statsInterval = 30.0

  func validate() throws {
    guard statsInterval >= 1 && statsInterval <= 86_400 else {
      throw ValidationError("--stats-interval must be 1…86400 seconds, got \(statsInterval)")
    }
    if let seconds, !(seconds > 0 && seconds <= 31_536_000) {
      throw ValidationError("--seconds must be above 0 and at most a year, got \(seconds)")
    }
  }

  func run() async throws {
    var process = DaemonProcess(
      configuration: try Failure.wrap { try Configuration(contentsOf: config) }, version: Monitor.version)
    process.eventsFile = eventsFile
    process.seconds = seconds
    process.statsInterval = statsInterval
    do {
      try await process.run(logger: OperatorLog.logger)
    } catch {
      throw Failure("\(error)")
    }
  }
}
