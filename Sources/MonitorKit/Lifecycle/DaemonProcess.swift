import Core
import CoreMetrics
import Foundation
import HTTPAPI
import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
  import Glibc
#endif

/// `monitor run` from start to stop: one `ServiceGroup` (swift-service-lifecycle)
/// of the daemon, the HTTP API (`[http]`), the stats timer, systemd's readiness
/// and watchdog, and SIGHUP's rule reload. SIGTERM or SIGINT (or `seconds`
/// elapsing) shuts them down in reverse order: the reload, the timers and the API first (systemd hears
/// STOPPING), the daemon last (sources end, open episodes end, events are
/// delivered), within `stopBudget` seconds, after which the group cancels.
///
/// Signals: libdispatch on Linux installs a real handler, so SIGTERM and
/// SIGHUP arrive whichever thread the kernel picks, also one of the threads
/// OpenBLAS starts before `main` (measured with OpenBLAS busy on two threads:
/// SIGTERM seen in 82 of 82 runs, SIGHUP in 164 of 164; docs/ARCHITECTURE.md). The
/// services only wait: decoding and inference keep their dedicated threads,
/// never the two-thread cooperative pool.
public struct DaemonProcess {
  public var configuration: Configuration
  /// Also append every event as one JSON line here.
  public var eventsFile: String?
  /// Stop after this long (tests, demos); nil: until SIGTERM/SIGINT.
  public var seconds: Double?
  public var statsInterval = 30.0
  public var version: String
  /// Seconds the ordered shutdown may take before the group cancels what is
  /// left (the shipped unit's TimeoutStopSec is 15).
  public static let stopBudget = 12.0

  public init(configuration: Configuration, version: String) {
    self.configuration = configuration
    self.version = version
  }

  /// Runs until stopped; every log line goes through `logger`.
  public func run(logger: Logger) async throws {
    // SIGHUP's default action ends the process. The reload service traps it
    // only once the group runs, after the model and the rules are loaded;
    // a reload asked for in between (`systemctl reload` during a slow start,
    // a deploy script) killed the daemon. Ignored until then: the rules it
    // would reload are read at start anyway, and the watcher sees later edits.
    signal(SIGHUP, SIG_IGN)
    let log: @Sendable (String) -> Void = { logger.info("\($0)") }
    var sinks: [any AlertSink] = [LogSink(log: log)]
    if let eventsFile { sinks.append(try JSONLinesSink(path: eventsFile, log: log)) }
    let metrics = configuration.http.enabled ? MetricsRegistry() : nil
    let daemon = try Daemon(
      configuration: configuration, sinks: sinks, metrics: metrics?.factory ?? NOOPMetricsHandler.instance, log: log)
    log("monitor \(version): \(configuration.cameras.filter(\.enabled).count) camera(s), node \(configuration.node)")
    var services: [any Service] = [DaemonService(daemon: daemon, stopBudget: Self.stopBudget * 2 / 3, log: log)]
    if let metrics, let api = APIServer.forDaemon(daemon, metrics: metrics, version: version, log: log) {
      services.append(api)
    }
    services += [
      PeriodicService(interval: statsInterval) { daemon.publishStats() },
      SystemdService(daemon: daemon),
      ReloadService(daemon: daemon),
    ]
    var settings = ServiceGroupConfiguration(
      services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    settings.maximumGracefulShutdownDuration = .seconds(Self.stopBudget)
    settings.maximumCancellationDuration = .seconds(2)
    let group = ServiceGroup(configuration: settings)
    if let seconds {
      Task {
        try? await Task.sleep(for: .seconds(seconds))
        await group.triggerGracefulShutdown()
      }
    }
    try await group.run()
  }
}

/// The daemon itself: started at once, stopped last.
private struct DaemonService: Service {
  let daemon: Daemon
  let stopBudget: Double
  let log: @Sendable (String) -> Void

  func run() async throws {
    daemon.start()
    try? await gracefulShutdown()
    log("stopping: ending open episodes")
    // Daemon.stop blocks (joins threads): off the cooperative pool.
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
      Thread { [daemon, stopBudget] in
        daemon.stop(timeout: stopBudget)
        done.resume()
      }.start()
    }
    for counter in daemon.counters {
      log("camera \(counter.camera): \(counter.embedded) frames embedded, \(counter.dropped) dropped")
    }
  }
}

/// Calls `body` every `interval` seconds until shutdown (the stats message).
private struct PeriodicService: Service {
  let interval: Double
  let body: @Sendable () -> Void

  func run() async throws {
    while !Task.isShuttingDownGracefully {
      do {
        try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
      } catch {
        return
      }
      body()
    }
  }
}

/// sd_notify: READY and STATUS at start, WATCHDOG while the pipeline lives
/// (a hung worker gets the service restarted), STOPPING when shutdown begins.
private struct SystemdService: Service {
  let daemon: Daemon

  func run() async throws {
    let systemd = SystemdNotifier()
    systemd.notify("READY=1")
    systemd.notify("STATUS=\(daemon.statusLine)")
    if systemd.isActive {
      let interval = systemd.watchdogInterval ?? 10
      while !Task.isShuttingDownGracefully {
        do {
          try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
        } catch {
          break
        }
        if daemon.isAlive(within: max(interval * 2, 5)) { systemd.notify("WATCHDOG=1") }
        systemd.notify("STATUS=\(daemon.statusLine)")
      }
    } else {
      try? await gracefulShutdown()
    }
    systemd.notify("STOPPING=1")
  }
}

/// SIGHUP: reload the rules now.
private struct ReloadService: Service {
  let daemon: Daemon

  func run() async throws {
    for await _ in await UnixSignalsSequence(trapping: UnixSignal.sighup).cancelOnGracefulShutdown() {
      daemon.reloadRules()
    }
  }
}
