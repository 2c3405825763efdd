import Core
import TOML

/// A standing text rule, one TOML file in the rules directory:
///
///     id = "person-falls"
///     text = ["a person falling down", "someone collapsing on the floor"]
///     negatives = ["a person sitting down", "a person lying in bed"]
///     cameras = ["hallway"]        # empty or absent: every camera
///     regions = ["bed"]            # only these regions of the camera ([[cameras.regions]])
///     threshold = 0.6              # calibrated score 0–1 that opens an episode
///     min_duration = 1.0           # seconds above threshold before `new`
///     cooldown = 60                # seconds after `end` before the next `new`
///     horizon = 2                  # seconds of temporal context: 0.5, 2, 8 or 30
///     max_per_hour = 10            # episodes per hour at most; 0: no cap
///     before = ["a person standing"] # a transition: what held before `text` began
///     within = 3                   # seconds before the match in which `before` must have held
///     before_threshold = 0.6       # `before`'s own threshold (default: `threshold`)
///     enabled = true
///     examples = ["/etc/monitor/examples/fall.jpg"]
public struct Rule: Sendable, Equatable {
  public var id: String
  /// One or more phrasings of what to detect (their embeddings are averaged).
  public var text: [String]
  /// Contrast phrasings: what it must not be mistaken for.
  public var negatives: [String] = []
  /// Camera names; empty means every camera.
  public var cameras: [String] = []
  /// Names of camera regions (`[[cameras.regions]]`) this rule watches,
  /// each scored on its own; empty: the whole frame. On a camera that
  /// defines none of them the rule does not apply.
  public var regions: [String] = []
  public var threshold: Double = 0.5
  public var minDuration: Double = 1
  public var cooldown: Double = 60
  /// Seconds of temporal context the score looks at (one of `Rule.horizons`).
  public var horizon: Double = 2
  /// Episodes per hour at most (a flapping rule cannot flood subscribers); 0: no cap.
  public var maxPerHour = 10
  /// A transition rule: phrasings of what held before (empty: a plain rule).
  /// An episode opens only when `before` held within `within` seconds before
  /// the match of `text` began (standing → lying on the floor).
  public var before: [String] = []
  /// Seconds before the match began in which `before` must have held.
  public var within: Double = 3
  /// The calibrated score `before` must reach; nil: `threshold`.
  public var beforeThreshold: Double?
  public var enabled = true
  /// Image files whose embeddings join the phrasings.
  public var examples: [String] = []
  /// Pictures of false alarms (`monitor feedback --false-alarm`): the best
  /// frames of episodes an operator said were wrong, kept by the daemon in
  /// `state_dir/false-alarms/<id>/`. Not part of the rule file.
  public var falseAlarms: [String] = []

  public static let horizons: [Double] = [0.5, 2, 8, 30]
  public static let keys = [
    "id", "text", "negatives", "cameras", "regions", "threshold", "min_duration", "cooldown", "horizon", "max_per_hour",
    "before",
    "within", "before_threshold", "enabled", "examples",
  ]

  public init(id: String, text: [String]) {
    self.id = id
    self.text = text
  }

  /// The rolling embedding this rule is scored on: the one of its horizon
  /// (`rolling` holds one per `horizons` entry, or a single one for all).
  public func embedding(in rolling: [[Float]]) -> [Float] {
    rolling[min(Self.horizons.firstIndex(of: horizon) ?? 1, rolling.count - 1)]
  }

  /// What of a camera this rule scores: its regions (each once), or the whole frame.
  public var views: [CameraView] {
    guard !regions.isEmpty else { return [.whole] }
    var seen: Set<String> = []
    return regions.filter { seen.insert($0).inserted }.map(CameraView.region)
  }

  /// What this rule scores on `camera`, which defines `cameraRegions`: the
  /// whole frame, or those of its regions the camera has; empty when the
  /// rule does not watch that camera (disabled, another camera, or none of
  /// its regions there).
  public func views(onCamera camera: String, regions cameraRegions: Set<String>) -> [CameraView] {
    guard applies(to: camera) else { return [] }
    return views.filter { $0.regionName.map(cameraRegions.contains) ?? true }
  }

  /// Whether an episode needs `before` to have held first.
  public var isTransition: Bool { !before.isEmpty }

  /// The score `before` must reach.
  public var effectiveBeforeThreshold: Double { beforeThreshold ?? threshold }

  /// Whether this rule is on for `camera` (the camera's regions aside: see `views(onCamera:regions:)`).
  public func applies(to camera: String) -> Bool { enabled && (cameras.isEmpty || cameras.contains(camera)) }

  /// Parses and validates a rule file's text; `file` names it in errors.
  public init(toml: String, file: String) throws(ConfigError) {
    let table = try TOMLTable.parse(toml, file: file)
    try table.requireKnownKeys(Self.keys, file: file)
    guard let id = try table.string("id", file: file) else { throw ConfigError(file: file, line: 0, "missing 'id'") }
    guard let text = try table.strings("text", file: file) else {
      throw ConfigError(file: file, line: 0, "missing 'text' (what to detect, e.g. text = \"a person falls down\")")
    }
    self.init(id: id, text: text)
    negatives = try table.strings("negatives", file: file) ?? []
    cameras = try table.strings("cameras", file: file) ?? []
    regions = try table.strings("regions", file: file) ?? []
    threshold = try table.number("threshold", file: file) ?? threshold
    minDuration = try table.number("min_duration", file: file) ?? minDuration
    cooldown = try table.number("cooldown", file: file) ?? cooldown
    horizon = try table.number("horizon", file: file) ?? horizon
    maxPerHour = try table.integer("max_per_hour", in: 0...3600, file: file) ?? maxPerHour
    before = try table.strings("before", file: file) ?? []
    within = try table.number("within", file: file) ?? within
    beforeThreshold = try table.number("before_threshold", file: file)
    if before.isEmpty, let key = ["within", "before_threshold"].first(where: { table[$0] != nil }) {
      throw ConfigError(
        file: file, line: table[key]?.line ?? 0,
        "'\(key)' needs 'before' (what must have held first, e.g. before = [\"a person standing\"])")
    }
    enabled = try table.boolean("enabled", file: file) ?? enabled
    examples = try table.strings("examples", file: file) ?? []
    try validate(file: file, lines: table)
  }

  /// Checks every field; the message says what to fix.
  public func validate(file: String, lines table: TOMLTable = TOMLTable()) throws(ConfigError) {
    func line(_ key: String) -> Int { table[key]?.line ?? 0 }
    guard Self.isValidID(id) else {
      throw ConfigError(
        file: file, line: line("id"),
        "id '\(id)' must be 1–64 characters of a–z, 0–9, '-' and '_' (it names MQTT topics)")
    }
    guard !text.isEmpty, text.allSatisfy({ !$0.allSatisfy(\.isWhitespace) }) else {
      throw ConfigError(file: file, line: line("text"), "text must have at least one non-empty phrasing")
    }
    for (key, phrasings) in [("negatives", negatives), ("before", before)]
    where !phrasings.allSatisfy({ !$0.allSatisfy(\.isWhitespace) }) {
      throw ConfigError(file: file, line: line(key), "\(key) must not contain empty phrasings")
    }
    for (key, phrasings) in [("text", text), ("negatives", negatives), ("before", before)] {
      if let long = phrasings.first(where: { $0.count > Limits.phrasing }) {
        throw ConfigError(
          file: file, line: line(key),
          "\(key): a phrasing of \(long.count) characters (at most \(Limits.phrasing); say it in a few words)")
      }
    }
    if let bad = regions.first(where: { !Self.isValidID($0) }) {
      throw ConfigError(
        file: file, line: line("regions"),
        "region '\(bad)' must be a–z, 0–9, '-' and '_' as named in the camera's [[cameras.regions]]")
    }
    // Control characters (but tab) would reach terminals (`monitor rules`) and payloads as they are.
    for (key, values) in [
      ("text", text), ("negatives", negatives), ("before", before), ("cameras", cameras), ("examples", examples),
    ]
    where values.contains(where: {
      $0.unicodeScalars.contains { $0 != "\t" && $0.properties.generalCategory == .control }
    }) {
      throw ConfigError(file: file, line: line(key), "\(key) must not contain control characters")
    }
    guard threshold > 0 && threshold < 1 else {
      throw ConfigError(
        file: file, line: line("threshold"), "threshold must be between 0 and 1 (exclusive), got \(threshold)")
    }
    guard minDuration >= 0 && minDuration <= 3600 else {
      throw ConfigError(
        file: file, line: line("min_duration"), "min_duration must be 0…3600 seconds, got \(minDuration)")
    }
    guard cooldown >= 0 && cooldown <= 86_400 else {
      throw ConfigError(file: file, line: line("cooldown"), "cooldown must be 0…86400 seconds, got \(cooldown)")
    }
    guard (0...3600).contains(maxPerHour) else {
      throw ConfigError(file: file, line: line("max_per_hour"), "max_per_hour must be 0…3600, got \(maxPerHour)")
    }
    guard within > 0 && within <= 3600 else {
      throw ConfigError(
        file: file, line: line("within"), "within must be above 0 and at most 3600 seconds, got \(within)")
    }
    if let beforeThreshold, !(beforeThreshold > 0 && beforeThreshold < 1) {
      throw ConfigError(
        file: file, line: line("before_threshold"),
        "before_threshold must be between 0 and 1 (exclusive), got \(beforeThreshold)")
    }
    guard Self.horizons.contains(horizon) else {
      throw ConfigError(
        file: file, line: line("horizon"),
        "horizon must be one of \(Self.horizons.map { $0 == $0.rounded() ? String(Int($0)) : String($0) }.joined(separator: ", ")) seconds, got \(horizon)"
      )
    }
  }

  public static func isValidID(_ id: String) -> Bool {
    (1...64).contains(id.count)
      && id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
  }

  /// The rule as a TOML file (what `monitor add-rule` writes).
  public var toml: String {
    func quoted(_ s: String) -> String {
      var out = "\""
      for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default: out.unicodeScalars.append(scalar)
        }
      }
      return out + "\""
    }
    func list(_ items: [String]) -> String { "[" + items.map(quoted).joined(separator: ", ") + "]" }
    func number(_ value: Double) -> String {
      value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
    var lines = ["id = \(quoted(id))", "text = \(list(text))"]
    if !negatives.isEmpty { lines.append("negatives = \(list(negatives))") }
    if !cameras.isEmpty { lines.append("cameras = \(list(cameras))") }
    if !regions.isEmpty { lines.append("regions = \(list(regions))") }
    lines += [
      "threshold = \(number(threshold))", "min_duration = \(number(minDuration))", "cooldown = \(number(cooldown))",
      "horizon = \(number(horizon))",
    ]
    if maxPerHour != 10 { lines.append("max_per_hour = \(maxPerHour)") }
    if isTransition {
      lines += ["before = \(list(before))", "within = \(number(within))"]
      if let beforeThreshold { lines.append("before_threshold = \(number(beforeThreshold))") }
    }
    lines.append("enabled = \(enabled)")
    if !examples.isEmpty { lines.append("examples = \(list(examples))") }
    return lines.joined(separator: "\n") + "\n"
  }
}
