import Config
import Foundation
import HTTPAPI
import History

/// The HTTP API's view of the running daemon.
struct DaemonAPIBackend: APIBackend {
  let daemon: Daemon
  let version: String
  let started = ContinuousClock.now

  func health() -> Health {
    Health(
      workerAlive: daemon.isAlive(within: 30), version: version, node: daemon.configuration.node,
      uptimeSeconds: Int((ContinuousClock.now - started).components.seconds),
      cameras: daemon.cameraConnections.map { Health.Camera(name: $0.camera, connected: $0.connected) },
      rules: daemon.ruleCount, brokerConnected: daemon.publisher?.isConnected,
      outboxQueued: daemon.publisher?.outbox.count, historyEnabled: daemon.configuration.history.enabled)
  }

  func refreshMetrics() { daemon.refreshMetrics() }

  func search(_ request: MemorySearchRequest) async -> SearchOutcome {
    let configuration = daemon.configuration
    guard configuration.memory.enabled && configuration.history.enabled else {
      return .off("the memory is off ([memory] and [history] enabled)")
    }
    switch await daemon.search(request) {
    case .success(let answer): return .hits(answer.hits, searched: answer.searched)
    case .failure(let error): return .failed(error.description)
    }
  }

  func falseAlarm(id: String) -> FalseAlarmOutcome {
    do {
      let episode = try daemon.falseAlarm(id: id)
      return .recorded(rule: episode.rule, camera: episode.camera)
    } catch {
      switch error {
      case .unknownEpisode: return .notFound("\(error)")
      case .noSnapshot: return .noSnapshot("\(error)")
      case .storage: return .failed("\(error)")
      }
    }
  }
}

extension APIServer {
  /// The API `[http]` asks for, or nil (logged) when it must not run: a token
  /// file that cannot be used, or an address other machines reach without a token.
  static func forDaemon(
    _ daemon: Daemon, metrics: MetricsRegistry, version: String, log: @escaping @Sendable (String) -> Void
  ) -> APIServer? {
    let http = daemon.configuration.http
    let token: BearerToken?
    do {
      token = try BearerToken.load(file: http.tokenFile)
    } catch {
      log("\(error); the HTTP API is off")
      return nil
    }
    if token == nil && !http.isLoopback {
      log(
        "http: listen \(http.listen) is reachable from other machines and needs a bearer token "
          + "([http] token_file, or the systemd credential api-token); the HTTP API is off")
      return nil
    }
    return APIServer(
      settings: .init(host: http.host, port: http.port, token: token),
      backend: DaemonAPIBackend(
        daemon: daemon, version: version), metrics: metrics,
      historyDirectory: daemon.configuration.history.enabled ? daemon.configuration.historyDirectory : nil,
      clipsDirectory: Daemon.clipSettings(daemon.configuration)?.directory, log: log)
  }
}
