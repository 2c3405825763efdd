import ArgumentParser
import Core
import Dispatch
import Foundation
import MonitorKit

#if canImport(Glibc)
  import Glibc
#endif

/// `monitor run`: the daemon.
struct Run: ParsableCommand {
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

  func run() throws {
    let configuration = try Failure.wrap { try Configuration(contentsOf: config) }
    var sinks: [any AlertSink] = [LogSink(log: logLine)]
    if let eventsFile { sinks.append(try Failure.wrap { try JSONLinesSink(path: eventsFile) }) }
    let daemon = try Failure.wrap { try Daemon(configuration: configuration, sinks: sinks, log: logLine) }
    logLine(
      "monitor \(Monitor.version): \(configuration.cameras.filter(\.enabled).count) camera(s), node \(configuration.node)"
    )
    daemon.start()
    let stop = DispatchSemaphore(value: 0)
    let signals = SignalHandlers(onStop: { stop.signal() }, onReload: { daemon.reloadRules() })
    if let seconds { DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { stop.signal() } }
    stop.wait()
    logLine("stopping: ending open episodes")
    daemon.stop()
    for counter in daemon.counters {
      logLine("camera \(counter.camera): \(counter.embedded) frames embedded, \(counter.dropped) dropped")
    }
    withExtendedLifetime(signals) {}
  }
}

/// SIGTERM/SIGINT stop, SIGHUP reloads rules. Dispatch sources, so the
/// handlers run on a queue, never inside a signal context.
final class SignalHandlers {
  private let sources: [any DispatchSourceSignal]

  init(onStop: @escaping @Sendable () -> Void, onReload: @escaping @Sendable () -> Void) {
    var sources: [any DispatchSourceSignal] = []
    for (number, handler) in [(SIGTERM, onStop), (SIGINT, onStop), (SIGHUP, onReload)] {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler(handler: handler)
      source.resume()
      sources.append(source)
    }
    self.sources = sources
  }
}
