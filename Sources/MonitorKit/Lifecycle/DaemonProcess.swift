import Core
import Dispatch
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// `monitor run` from start to stop: the daemon, systemd's readiness and
/// watchdog, the stats timer and the signals, in that order up and in reverse
/// down. Signals arrive through `Signals` (a self-pipe: OpenBLAS starts its
/// threads before `main`, so no signal mask covers them all).
public struct DaemonProcess {
  public var configuration: Configuration
  /// Also append every event as one JSON line here.
  public var eventsFile: String?
  /// Stop after this long (tests, demos); nil: until SIGTERM/SIGINT.
  public var seconds: Double?
  public var statsInterval = 30.0
  public var version: String

  public init(configuration: Configuration, version: String) {
    self.configuration = configuration
    self.version = version
  }

  /// Runs until stopped; `log` writes one line for the operator.
  public func run(log: @escaping @Sendable (String) -> Void) throws {
    var sinks: [any AlertSink] = [LogSink(log: log)]
    if let eventsFile { sinks.append(try JSONLinesSink(path: eventsFile, log: log)) }
    let daemon = try Daemon(configuration: configuration, sinks: sinks, log: log)
    log("monitor \(version): \(configuration.cameras.filter(\.enabled).count) camera(s), node \(configuration.node)")
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
    log("stopping: ending open episodes")
    systemd.notify("STOPPING=1")
    watchdog?.cancel()
    stats.cancel()
    daemon.stop()
    for counter in daemon.counters {
      log("camera \(counter.camera): \(counter.embedded) frames embedded, \(counter.dropped) dropped")
    }
  }
}
