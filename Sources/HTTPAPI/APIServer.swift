import Foundation
import History
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// The HTTP API as one service of the daemon's group: `GET /api/health`,
/// `GET /metrics`, `GET /api/events`, `GET /api/events/{id}` and
/// `GET /api/events/{id}/snapshot.jpg` (README.md, "HTTP API"). It only reads:
/// nothing a client sends reaches the pipeline. A port already taken or an
/// address that cannot be bound is one log line, and the daemon serves on without the API.
public struct APIServer: Service {
  public struct Settings: Sendable {
    public var host: String
    public var port: Int
    /// Required on every request when set (the daemon sets one for any address but loopback).
    public var token: BearerToken?
    /// A connection that sends nothing for this long is closed (slow or stuck clients).
    public var idleTimeout: Duration = .seconds(10)
    /// Connections served at once; more wait in the kernel's backlog.
    public var maximumConnections = 32

    public init(host: String, port: Int, token: BearerToken?) {
      self.host = host
      self.port = port
      self.token = token
    }
  }

  let settings: Settings
  let routes: APIRoutes
  let clipsDirectory: String?
  let log: @Sendable (String) -> Void
  /// Called with the bound port once the server listens (tests bind port 0).
  let onListening: @Sendable (Int) -> Void

  /// `historyDirectory`: the daemon's event history (read-only here); nil when `[history]` is off.
  /// `clipsDirectory`: where episode clips are written; nil when `[clips]` is off.
  public init(
    settings: Settings, backend: any APIBackend, metrics: MetricsRegistry, historyDirectory: String?,
    clipsDirectory: String? = nil, log: @escaping @Sendable (String) -> Void,
    onListening: @escaping @Sendable (Int) -> Void = { _ in }
  ) {
    self.settings = settings
    self.clipsDirectory = clipsDirectory
    self.routes = APIRoutes(backend: backend, metrics: metrics, history: historyDirectory.map(HistoryReader.init))
    self.log = log
    self.onListening = onListening
  }

  public func run() async throws {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: NoRequestBody())
    if let token = settings.token { router.add(middleware: BearerAuthentication(token: token)) }
    if let clipsDirectory {
      // Hummingbird's file middleware: HEAD, Range (206 with Content-Range), If-None-Match, video/mp4.
      router.add(middleware: FileMiddleware(clipsDirectory, urlBasePath: "/api/clips", searchForIndexHtml: false))
    }
    routes.register(on: router)
    var server = HTTP1Channel.Configuration(idleTimeout: TimeAmount(settings.idleTimeout))
    // Headers an API client needs fit in a few hundred bytes; 16 KB refuses floods early.
    server.httpDecoder = .init(maxHeaderFieldSize: 16_384, maxHeaderListSize: 16_384, maxHeaderFieldCount: 64)
    var quiet = Logger(label: "monitor.http")
    quiet.logLevel = .error
    let settings = self.settings
    let log = self.log
    let onListening = self.onListening
    let application = Application(
      router: router, server: .http1(configuration: server),
      configuration: .init(
        address: .hostname(settings.host, port: settings.port), serverName: "monitor",
        availableConnectionsDelegate: MaximumAvailableConnections(settings.maximumConnections)),
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? settings.port
        log(
          "http: API listening on \(settings.host):\(port)" + (settings.token == nil ? "" : " (bearer token required)"))
        onListening(port)
      },
      logger: quiet)
    do {
      try await application.run()
    } catch {
      // The API is an extra: alerts, history and MQTT carry on without it.
      log("http: cannot serve on \(settings.host):\(settings.port): \(error); the HTTP API is off")
      try? await gracefulShutdown()
    }
  }
}
