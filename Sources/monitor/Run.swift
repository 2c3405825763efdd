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

  func run() throws {
    let configuration = try Failure.wrap { try Configuration(contentsOf: config) }
    var sinks: [any AlertSink] = [LogSink(log: logLine)]
    if let eventsFile { sinks.append(try Failure.wrap { try JSONLinesSink(path: eventsFile, log: logLine) }) }
    let daemon = try Failure.wrap { try Daemon(configuration: configuration, sinks: sinks, log: logLine) }
    logLine(
      "monitor \(Monitor.version): \(configuration.cameras.filter(\.enabled).count) camera(s), node \(configuration.node)"
    )
    daemon.start()
    let systemd = SystemdNotifier()
    systemd.notify("READY=1")
    systemd.notify("STATUS=\(daemon.statusLine)")
    // A dispatch source released while suspended traps, so the watchdog exists only under systemd.
    var watchdog: (any DispatchSourceTimer)?
    if systemd.isActive {
      let interval = systemd.watchdogInterval ?? 10
      let timer = DispatchSource.makeTimerSource(queue: .global())
      timer.schedule(deadline: .now() + interval, repeating: interval)
      timer.setEventHandler {
        // Only a live pipeline pats the watchdog: a hung worker gets the service restarted.
        if daemon.isAlive(within: max(interval * 2, 5)) { systemd.notify("WATCHDOG=1") }
        systemd.notify("STATUS=\(daemon.statusLine)")
      }
      timer.resume()
      watchdog = timer
    }
    let stats = DispatchSource.makeTimerSource(queue: .global())
    stats.schedule(deadline: .now() + statsInterval, repeating: statsInterval)
    stats.setEventHandler { daemon.publishStats() }
    stats.resume()
    let stop = DispatchSemaphore(value: 0)
    Signals.install { signal in
      if signal == SIGHUP { daemon.reloadRules() } else { stop.signal() }
    }
    if let seconds { DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { stop.signal() } }
    stop.wait()
    logLine("stopping: ending open episodes")
    systemd.notify("STOPPING=1")
    watchdog?.cancel()
    stats.cancel()
    daemon.stop()
    for counter in daemon.counters {
      logLine("camera \(counter.camera): \(counter.embedded) frames embedded, \(counter.dropped) dropped")
    }
  }
}
