import Core
import Foundation

/// What `monitor search` and `GET /api/search` ask the memory.
public struct MemorySearchRequest: Sendable, Equatable {
  /// Most spans one answer holds.
  public static let maximumTop = 1_000

  public var text: String
  public var query = MemoryQuery()
  public var top = 10
  /// Calibrated score (0–1) an entry needs to count as a match (a rule's default threshold).
  public var threshold = 0.5

  public init(text: String) { self.text = text }

  /// Names `GET /api/search` takes (anything else is refused, so a typo is not silently ignored).
  public static let parameterNames = ["q", "camera", "since", "until", "top", "threshold"]

  /// The request `GET /api/search?q=…&since=…` makes, from its decoded
  /// parameters; throws one line naming the parameter and what it accepts.
  public init(parameters: [(name: String, value: String)], now: Double) throws(ConfigError) {
    self.init(text: "")
    for (name, value) in try QueryParameters.checked(parameters, names: Self.parameterNames) {
      switch name {
      case "q": text = value
      case "camera": query.camera = value
      case "since": query.since = try WallTime.parse(value, now: now, option: name)
      case "until": query.until = try WallTime.parse(value, now: now, option: name)
      case "top":
        guard let count = Int(value), (1...Self.maximumTop).contains(count) else {
          throw ConfigError(file: name, line: 0, "'\(value)' is not a count from 1 to \(Self.maximumTop)")
        }
        top = count
      default:
        guard let score = Double(value), (0...1).contains(score) else {
          throw ConfigError(file: name, line: 0, "'\(value)' is not a score from 0 to 1")
        }
        threshold = score
      }
    }
    guard !text.allSatisfy(\.isWhitespace) else { throw ConfigError(file: "q", line: 0, "missing: what to look for") }
  }
}

/// One span of memory that matched a search: adjacent entries of one camera
/// view, scored by the best of them.
public struct MemoryHit: Sendable, Equatable {
  public var camera: String
  /// nil: the whole frame.
  public var region: String?
  /// Wall-clock seconds since 1970.
  public var start: Double
  public var end: Double
  public var score: Double
  /// The best entry (its thumbnail is the hit's).
  public var entry: Int64
  public var entries: Int
  /// A change between two entries (the retrospective re-ranker's answer to
  /// an action), not entries themselves.
  public var change: Bool

  public init(
    camera: String, region: String?, start: Double, end: Double, score: Double, entry: Int64, entries: Int,
    change: Bool = false
  ) {
    (self.camera, self.region, self.start, self.end) = (camera, region, start, end)
    (self.score, self.entry, self.entries, self.change) = (score, entry, entries, change)
  }

  /// The object `monitor search --json` prints and `GET /api/search` lists
  /// (`thumbnail`: a file, or the API's URL of it).
  public func json(thumbnail: String?) -> [String: Any] {
    [
      "camera": camera, "region": region as Any? ?? NSNull(), "start": StoredEvent.iso8601(start),
      "end": StoredEvent.iso8601(end), "score": (score * 1000).rounded() / 1000, "entry": entry,
      "entries": entries, "change": change, "thumbnail": thumbnail as Any? ?? NSNull(),
    ]
  }
}
