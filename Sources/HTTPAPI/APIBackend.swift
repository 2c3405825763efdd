import History

/// What the API asks the running daemon: its health, fresh gauges before a
/// scrape, to take an operator's word that an episode was a false alarm, and
/// to search the cameras' memory (the model is the daemon's).
public protocol APIBackend: Sendable {
  func health() -> Health
  /// Brings gauges and totals kept elsewhere (decoder counters, the outbox) into the metrics.
  func refreshMetrics()
  /// `POST /api/events/{id}/false_alarm`.
  func falseAlarm(id: String) -> FalseAlarmOutcome
  /// `GET /api/search`.
  func search(_ request: MemorySearchRequest) async -> SearchOutcome
}

/// What became of a memory search.
public enum SearchOutcome: Sendable, Equatable {
  /// The best spans, best first, and how many entries were scored.
  case hits([MemoryHit], searched: Int)
  /// `[memory]` or `[history]` off (404).
  case off(String)
  /// The search could not run (503): the message says why.
  case failed(String)
}

/// What became of a false-alarm report.
public enum FalseAlarmOutcome: Sendable, Equatable {
  /// Stored: the episode's rule and camera.
  case recorded(rule: String, camera: String)
  /// No such episode (404), no snapshot to learn from (409), storage refused (500): the message says which.
  case notFound(String)
  case noSnapshot(String)
  case failed(String)
}

/// `GET /api/health`.
public struct Health: Sendable, Encodable {
  public struct Camera: Sendable, Encodable {
    public var name: String
    public var connected: Bool

    public init(name: String, connected: Bool) {
      self.name = name
      self.connected = connected
    }
  }

  /// `ok`: every enabled camera connected and the broker (when on) reachable;
  /// `degraded`: something is down but alerts still flow or wait in the outbox;
  /// `stalled`: the inference worker has not been seen lately (answered with 503).
  public var status: String
  public var version: String
  public var node: String
  public var uptimeSeconds: Int
  public var cameras: [Camera]
  public var rules: Int
  /// nil when `[mqtt] enabled = false`.
  public var brokerConnected: Bool?
  public var outboxQueued: Int?
  public var historyEnabled: Bool

  public init(
    workerAlive: Bool, version: String, node: String, uptimeSeconds: Int, cameras: [Camera], rules: Int,
    brokerConnected: Bool?, outboxQueued: Int?, historyEnabled: Bool
  ) {
    let allUp = cameras.allSatisfy(\.connected) && brokerConnected != false
    status = !workerAlive ? "stalled" : allUp ? "ok" : "degraded"
    self.version = version
    self.node = node
    self.uptimeSeconds = uptimeSeconds
    self.cameras = cameras
    self.rules = rules
    self.brokerConnected = brokerConnected
    self.outboxQueued = outboxQueued
    self.historyEnabled = historyEnabled
  }

  enum CodingKeys: String, CodingKey {
    case status, version, node, cameras, rules
    case uptimeSeconds = "uptime_s"
    case brokerConnected = "broker_connected"
    case outboxQueued = "outbox_queued"
    case historyEnabled = "history_enabled"
  }
}
