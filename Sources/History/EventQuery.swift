import Core

/// Which episodes `monitor events` and `GET /api/events` list.
public struct EventQuery: Sendable, Equatable {
  /// Most episodes one answer holds (an API client pages with `until`).
  public static let maximumLimit = 1_000

  public var camera: String?
  public var rule: String?
  /// Wall-clock seconds since 1970: episodes still open or ended at or after `since`,
  /// and started at or before `until`.
  public var since: Double?
  public var until: Double?
  public var limit: Int

  public init(
    camera: String? = nil, rule: String? = nil, since: Double? = nil, until: Double? = nil, limit: Int = 100
  ) {
    self.camera = camera
    self.rule = rule
    self.since = since
    self.until = until
    self.limit = min(max(limit, 1), Self.maximumLimit)
  }
}

/// How much history is kept: episodes that ended are deleted once older than
/// `maximumAge` seconds, and the oldest first while the database and the
/// snapshots together exceed `maximumBytes`.
public struct Retention: Sendable, Equatable {
  public var maximumAge: Double
  public var maximumBytes: Int

  public init(days: Double = 30, megabytes: Int = 1_024) {
    maximumAge = days * 86_400
    maximumBytes = megabytes << 20
  }

  public init(maximumAge: Double, maximumBytes: Int) {
    self.maximumAge = maximumAge
    self.maximumBytes = maximumBytes
  }
}

extension EventQuery {
  /// Names `GET /api/events` takes (anything else is refused, so a typo is not silently ignored).
  public static let parameterNames = ["camera", "rule", "since", "until", "limit"]

  /// The query `GET /api/events?camera=…&since=…` asks for, from its decoded
  /// parameters; throws one line naming the parameter and what it accepts.
  public init(parameters: [(name: String, value: String)], now: Double) throws(ConfigError) {
    self.init()
    for (name, value) in try QueryParameters.checked(parameters, names: Self.parameterNames) {
      switch name {
      case "camera": camera = value
      case "rule": rule = value
      case "since": since = try WallTime.parse(value, now: now, option: name)
      case "until": until = try WallTime.parse(value, now: now, option: name)
      default:
        guard let count = Int(value), (1...Self.maximumLimit).contains(count) else {
          throw ConfigError(file: name, line: 0, "'\(value)' is not a count from 1 to \(Self.maximumLimit)")
        }
        limit = count
      }
    }
  }
}
