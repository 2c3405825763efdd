import Core
import Foundation
import Rules
import TOML
import Video

/// `/etc/monitor/monitor.toml`: cameras, models, rules, state, threads, MQTT, history, HTTP.
/// Strict: an unknown key is an error naming the key, its line and the
/// closest valid key; every field has a default (see `systemd/monitor.toml`
/// for the commented example); cross-field checks say what to fix.
public struct Configuration: Sendable, Equatable {
  public struct Camera: Sendable, Equatable {
    /// Names MQTT topics and log lines: a–z, 0–9, '-', '_'.
    public var name: String
    /// rtsp://, rtsps://, v4l2:/dev/videoN, lavfi:GRAPH, file:PATH or a path.
    public var url: String
    /// Frames per second to embed; nil: the temporal model's own rate.
    public var fps: Double?
    /// Skip embedding frames that did not change.
    public var motion = true
    /// Fraction of the 32×32 motion thumbnail that must change (0–1).
    public var motionThreshold = 0.005
    public var transport: RTSPTransport = .tcp
    public var enabled = true
    /// Files only: start again at the end.
    public var loop = false
    /// `[[cameras.regions]]`: parts of the view a rule may watch on their own.
    public var regions: [Region] = []
    public var line = 0

    public static let keys = [
      "name", "url", "fps", "motion", "motion_threshold", "transport", "enabled", "loop", "regions",
    ]

    /// A named part of a camera's view (`box = [x0, y0, x1, y1]`, fractions
    /// of the frame's width and height from its top left corner), cut from
    /// each decoded picture at full resolution for the rules that name it.
    public struct Region: Sendable, Equatable {
      public var name: String
      public var box: PictureGeometry.Region
      public var line = 0

      public static let keys = ["name", "box"]

      public init(name: String, box: PictureGeometry.Region) {
        self.name = name
        self.box = box
      }

      /// `box` as the operator writes it: x0, y0, x1, y1.
      public var corners: [Double] { [box.x, box.y, box.x + box.width, box.y + box.height] }
    }

    /// The region named `name`, if this camera defines it.
    public func region(_ name: String) -> Region? { regions.first { $0.name == name } }

    /// A camera with every other setting at its default.
    public init(name: String, url: String) {
      self.name = name
      self.url = url
    }
  }

  public struct MQTT: Sendable, Equatable {
    /// Off: events go to the log (and --events-file) only.
    public var enabled = true
    public var host = "localhost"
    public var port = 1883
    /// Topics are `<prefix>/<node>/…`.
    public var prefix = "monitor"
    public var qos = 1
    public var clientID: String?
    public var username: String?
    /// File holding the password (or `password` under `$CREDENTIALS_DIRECTORY`).
    public var passwordFile: String?
    public var tlsCA: String?
    public var tlsCert: String?
    public var tlsKey: String?
    public var keepalive = 30

    public static let keys = [
      "enabled", "host", "port", "prefix", "qos", "client_id", "username", "password_file", "tls_ca", "tls_cert",
      "tls_key",
      "keepalive",
    ]
  }

  /// `[history]`: every episode in SQLite under `state_dir/history`, with its snapshot.
  public struct History: Sendable, Equatable {
    public var enabled = true
    /// Ended episodes older than this are deleted.
    public var keepDays = 30
    /// The database and snapshots together stay under this; the oldest go first.
    public var maxMegabytes = 1_024

    public static let keys = ["enabled", "keep_days", "max_megabytes"]

    init() {}

    init(_ table: TOMLTable, file: String) throws(ConfigError) {
      try table.requireKnownKeys(Self.keys, file: file)
      enabled = try table.boolean("enabled", file: file) ?? enabled
      keepDays = try table.integer("keep_days", in: 1...36_500, named: "history keep_days", file: file) ?? keepDays
      maxMegabytes =
        try table.integer("max_megabytes", in: 1...1_048_576, named: "history max_megabytes", file: file)
        ?? maxMegabytes
    }
  }

  /// `[clips]`: a video clip around each episode in `state_dir/clips`, remuxed from the camera's own packets.
  public struct Clips: Sendable, Equatable {
    public var enabled = true
    /// Seconds before the episode's start, and after its end, the clip covers.
    public var preRoll = 5.0
    public var postRoll = 5.0
    /// Every camera's clips together stay under this; the oldest go first.
    public var maxMegabytes = 2_048
    /// Per camera: the compressed packets kept for the pre-roll (and the time a rule takes to decide).
    public var ringMegabytes = 16

    public static let keys = ["enabled", "pre_roll", "post_roll", "max_megabytes", "ring_megabytes"]

    init() {}

    init(_ table: TOMLTable, file: String) throws(ConfigError) {
      try table.requireKnownKeys(Self.keys, file: file)
      enabled = try table.boolean("enabled", file: file) ?? enabled
      preRoll = try table.number("pre_roll", file: file) ?? preRoll
      postRoll = try table.number("post_roll", file: file) ?? postRoll
      maxMegabytes =
        try table.integer("max_megabytes", in: 1...1_048_576, named: "clips max_megabytes", file: file) ?? maxMegabytes
      ringMegabytes =
        try table.integer("ring_megabytes", in: 1...1_024, named: "clips ring_megabytes", file: file) ?? ringMegabytes
      for (key, value, limit) in [("pre_roll", preRoll, 60.0), ("post_roll", postRoll, 600.0)]
      where !(value >= 0 && value <= limit) {
        throw ConfigError(
          file: file, line: table[key]?.line ?? table.line, "clips \(key) must be 0…\(Int(limit)) seconds, got \(value)"
        )
      }
    }
  }

  /// Node name in MQTT topics (default: the host name).
  public var node: String
  public var rulesDirectory = "/etc/monitor/rules.d"
  public var stateDirectory = "/var/lib/monitor"
  /// Inference threads (default: the number of cores).
  public var threads: Int
  /// CLIP model directory; nil uses the embedded default model.
  public var clipModel: String?
  /// TemporalAdapter weights; nil uses the training-free multi-horizon pooling.
  public var temporalModel: String?
  /// `monitor search`'s bidirectional re-ranker; nil: the embedded model's
  /// own (with the embedded model), none (with a CLIP directory).
  public var retrospectiveModel: String?
  /// What CLIP's linear layers compute in (`[model] precision`).
  public var precision: ModelPrecision = .auto
  public var mqtt = MQTT()
  public var history = History()
  public var memory = Memory()
  public var clips = Clips()
  public var http = HTTP()
  public var cameras: [Camera] = []

  public static let keys = [
    "node", "rules_dir", "state_dir", "threads", "model", "mqtt", "history", "memory", "http", "clips", "cameras",
  ]
  public static let modelKeys = ["clip", "temporal", "retrospective", "precision"]

  /// `[model] precision`: `auto` picks int8 where the CPU runs it well and a
  /// load-time accuracy check passes, else bf16 where the CPU has AVX-512
  /// BF16 and the same check passes, else fp32 (see the README, "Models").
  public enum ModelPrecision: String, Sendable, CaseIterable {
    case auto, fp32, int8, bf16

    /// Parses `text` as an operator writes it; the error names the choices.
    public init(parsing text: String) throws(PrecisionError) {
      guard let precision = ModelPrecision(rawValue: text) else { throw PrecisionError(text: text) }
      self = precision
    }
  }

  public struct PrecisionError: Error, CustomStringConvertible {
    public var text: String
    public var description: String { "precision must be \"auto\", \"fp32\", \"int8\" or \"bf16\", got \"\(text)\"" }
  }

  public init(node: String = Configuration.hostName, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
    self.node = node
    self.threads = threads
  }

  public static var hostName: String {
    let name = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "monitor"
    return name.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
  }

  /// Reads and validates the file at `path`.
  public init(contentsOf path: String) throws(ConfigError) {
    if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
      size > Limits.settingsFileBytes
    {
      throw ConfigError(file: path, line: 0, "larger than \(Limits.settingsFileBytes >> 20) MB: not a configuration")
    }
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
      throw ConfigError(file: path, line: 0, "cannot read the configuration (missing or not UTF-8)")
    }
    try self.init(toml: text, file: path)
  }

  public init(toml: String, file: String) throws(ConfigError) {
    self.init()
    let table = try TOMLTable.parse(toml, file: file)
    try table.requireKnownKeys(Self.keys, file: file)
    node = try table.string("node", file: file) ?? node
    rulesDirectory = try table.string("rules_dir", file: file) ?? rulesDirectory
    stateDirectory = try table.string("state_dir", file: file) ?? stateDirectory
    threads = try table.integer("threads", in: 1...64, file: file) ?? threads
    if let model = try Self.section("model", in: table, file: file) {
      try model.requireKnownKeys(Self.modelKeys, file: file)
      clipModel = try model.string("clip", file: file).flatMap { $0.isEmpty ? nil : $0 }
      temporalModel = try model.string("temporal", file: file).flatMap { $0.isEmpty ? nil : $0 }
      retrospectiveModel = try model.string("retrospective", file: file).flatMap { $0.isEmpty ? nil : $0 }
      if let text = try model.string("precision", file: file) {
        do {
          precision = try ModelPrecision(parsing: text)
        } catch {
          throw ConfigError(file: file, line: model["precision"]!.line, error.description)
        }
      }
    }
    if let section = try Self.section("mqtt", in: table, file: file) { mqtt = try MQTT(section, file: file) }
    if let section = try Self.section("history", in: table, file: file) { history = try History(section, file: file) }
    if let section = try Self.section("memory", in: table, file: file) { memory = try Memory(section, file: file) }
    if let section = try Self.section("http", in: table, file: file) { http = try HTTP(section, file: file) }
    if let section = try Self.section("clips", in: table, file: file) { clips = try Clips(section, file: file) }
    if let entry = table["cameras"] {
      guard case .tables(let list) = entry.value else {
        throw ConfigError(file: file, line: entry.line, "cameras must be [[cameras]] tables")
      }
      cameras = try list.map { table throws(ConfigError) in try Camera(table, file: file) }
    }
    try validate(file: file, lines: table)
  }

  private static func section(_ key: String, in table: TOMLTable, file: String) throws(ConfigError) -> TOMLTable? {
    guard let entry = table[key] else { return nil }
    guard case .table(let section) = entry.value else {
      throw ConfigError(file: file, line: entry.line, "'\(key)' must be a [\(key)] table")
    }
    return section
  }

  private func validate(file: String, lines table: TOMLTable) throws(ConfigError) {
    guard Self.isName(node) else {
      throw ConfigError(
        file: file, line: table["node"]?.line ?? 0, "node '\(node)' must be a–z, 0–9, '-' or '_' (it names MQTT topics)"
      )
    }
    var seen: [String: Int] = [:]
    for camera in cameras {
      if let first = seen[camera.name] {
        throw ConfigError(
          file: file, line: camera.line, "camera name '\(camera.name)' is already used on line \(first)")
      }
      seen[camera.name] = camera.line
    }
  }

  static func isName(_ text: String) -> Bool {
    (1...64).contains(text.count)
      && text.unicodeScalars.allSatisfy {
        ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
      }
  }
}

extension Configuration.Camera {
  init(_ table: TOMLTable, file: String) throws(ConfigError) {
    try table.requireKnownKeys(Self.keys, file: file)
    guard let name = try table.string("name", file: file) else {
      throw ConfigError(file: file, line: table.line, "camera without a name (add name = \"driveway\")")
    }
    guard Configuration.isName(name) else {
      throw ConfigError(
        file: file, line: table["name"]!.line,
        "camera name '\(name)' must be a–z, 0–9, '-' or '_' (it names MQTT topics)")
    }
    guard let url = try table.string("url", file: file) else {
      throw ConfigError(file: file, line: table.line, "camera '\(name)' has no url")
    }
    do {
      _ = try SourceSpec(parsing: url)
    } catch {
      throw ConfigError(file: file, line: table["url"]!.line, "camera '\(name)': \(error)")
    }
    self.init(name: name, url: url)
    line = table.line
    fps = try table.number("fps", file: file)
    motion = try table.boolean("motion", file: file) ?? motion
    motionThreshold = try table.number("motion_threshold", file: file) ?? motionThreshold
    enabled = try table.boolean("enabled", file: file) ?? enabled
    loop = try table.boolean("loop", file: file) ?? loop
    if let text = try table.string("transport", file: file) {
      guard let transport = RTSPTransport(rawValue: text) else {
        throw ConfigError(
          file: file, line: table["transport"]!.line, "transport must be \"tcp\" or \"udp\", got \"\(text)\"")
      }
      self.transport = transport
    }
    if let entry = table["regions"] {
      guard case .tables(let list) = entry.value else {
        throw ConfigError(file: file, line: entry.line, "camera '\(name)': regions must be [[cameras.regions]] tables")
      }
      guard list.count <= Limits.regionsPerCamera else {
        throw ConfigError(
          file: file, line: list[Limits.regionsPerCamera].line,
          "camera '\(name)': more than \(Limits.regionsPerCamera) regions (each one in use is embedded every frame)")
      }
      regions = try list.map { region throws(ConfigError) in try Region(region, camera: name, file: file) }
      var seen: [String: Int] = [:]
      for region in regions {
        if let first = seen[region.name] {
          throw ConfigError(
            file: file, line: region.line,
            "camera '\(name)': region name '\(region.name)' is already used on line \(first)")
        }
        seen[region.name] = region.line
      }
    }
    if let fps, !(fps > 0 && fps <= 30) {
      throw ConfigError(
        file: file, line: table["fps"]?.line ?? line, "camera '\(name)': fps must be above 0 and at most 30, got \(fps)"
      )
    }
    guard motionThreshold >= 0 && motionThreshold <= 1 else {
      throw ConfigError(
        file: file, line: table["motion_threshold"]?.line ?? line,
        "camera '\(name)': motion_threshold must be 0…1 (a fraction of the picture), got \(motionThreshold)")
    }
  }
}

extension Configuration.Camera.Region {
  init(_ table: TOMLTable, camera: String, file: String) throws(ConfigError) {
    try table.requireKnownKeys(Self.keys, file: file)
    guard let name = try table.string("name", file: file) else {
      throw ConfigError(file: file, line: table.line, "camera '\(camera)': region without a name (add name = \"bed\")")
    }
    guard Configuration.isName(name) else {
      throw ConfigError(
        file: file, line: table["name"]!.line,
        "camera '\(camera)': region name '\(name)' must be a–z, 0–9, '-' or '_' (rules name it)")
    }
    let usage = "box = [x0, y0, x1, y1], fractions of the frame from its top left corner, e.g. [0.5, 0.25, 1, 1]"
    guard let entry = table["box"] else {
      throw ConfigError(file: file, line: table.line, "camera '\(camera)': region '\(name)' has no box (\(usage))")
    }
    var corners: [Double] = []
    if case .array(let items) = entry.value {
      for item in items {
        switch item {
        case .integer(let value): corners.append(Double(value))
        case .float(let value): corners.append(value)
        default: break
        }
      }
      if corners.count != items.count { corners = [] }
    }
    guard let box = Self.box(corners) else {
      throw ConfigError(
        file: file, line: entry.line,
        "camera '\(camera)': region '\(name)': \(usage), each 0…1 with x0 < x1 and y0 < y1")
    }
    self.init(name: name, box: box)
    line = table.line
  }

  /// `x0, y0, x1, y1` as a box, nil unless each is 0…1 with x0 < x1 and y0 < y1.
  static func box(_ corners: [Double]) -> PictureGeometry.Region? {
    guard corners.count == 4, corners.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }), corners[0] < corners[2],
      corners[1] < corners[3]
    else { return nil }
    return PictureGeometry.Region(
      x: corners[0], y: corners[1], width: corners[2] - corners[0], height: corners[3] - corners[1])
  }

  /// `NAME=x0,y0,x1,y1` (`monitor replay --region`); the error says what is wrong.
  public init(parsing text: String) throws(ConfigError) {
    let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
    let usage = "expected NAME=x0,y0,x1,y1 (fractions of the frame from its top left corner, e.g. bed=0.5,0.25,1,1)"
    guard parts.count == 2, Configuration.isName(parts[0]) else {
      throw ConfigError(file: "--region", line: 0, "'\(text)': \(usage), NAME of a–z, 0–9, '-' or '_'")
    }
    let numbers = parts[1].split(separator: ",", omittingEmptySubsequences: false).map {
      Double($0.trimmingCharacters(in: .whitespaces))
    }
    guard numbers.allSatisfy({ $0 != nil }), let box = Self.box(numbers.map { $0! }) else {
      throw ConfigError(file: "--region", line: 0, "'\(text)': \(usage), each 0…1 with x0 < x1 and y0 < y1")
    }
    self.init(name: parts[0], box: box)
  }
}

extension Configuration.MQTT {
  init(_ table: TOMLTable, file: String) throws(ConfigError) {
    self.init()
    try table.requireKnownKeys(Self.keys, file: file)
    enabled = try table.boolean("enabled", file: file) ?? enabled
    host = try table.string("host", file: file) ?? host
    port = try table.integer("port", in: 1...65535, named: "mqtt port", file: file) ?? port
    prefix = try table.string("prefix", file: file) ?? prefix
    qos = try table.integer("qos", in: 0...2, named: "mqtt qos", file: file) ?? qos
    clientID = try table.string("client_id", file: file)
    username = try table.string("username", file: file)
    passwordFile = try table.string("password_file", file: file)
    tlsCA = try table.string("tls_ca", file: file)
    tlsCert = try table.string("tls_cert", file: file)
    tlsKey = try table.string("tls_key", file: file)
    keepalive = try table.integer("keepalive", in: 5...3600, named: "mqtt keepalive (seconds)", file: file) ?? keepalive
    func line(_ key: String) -> Int { table[key]?.line ?? table.line }
    guard !host.isEmpty else { throw ConfigError(file: file, line: line("host"), "mqtt host must not be empty") }
    if let problem = Self.prefixProblem(prefix) {
      throw ConfigError(file: file, line: line("prefix"), "mqtt prefix '\(prefix)' \(problem)")
    }
    if let clientID, clientID.utf8.count > 65535 {
      throw ConfigError(file: file, line: line("client_id"), "mqtt client_id is longer than 65535 bytes")
    }
    if passwordFile != nil && username == nil {
      throw ConfigError(file: file, line: line("password_file"), "mqtt password_file needs a username")
    }
    if (tlsCert == nil) != (tlsKey == nil) {
      throw ConfigError(
        file: file, line: line(tlsCert == nil ? "tls_key" : "tls_cert"),
        "mqtt tls_cert and tls_key must be given together")
    }
    if tlsCert != nil && tlsCA == nil {
      throw ConfigError(
        file: file, line: line("tls_cert"), "mqtt tls_cert needs tls_ca (the broker's certificate authority)")
    }
  }
}

extension Configuration.MQTT {
  /// Why `prefix` cannot start every topic monitor publishes, or nil. A
  /// wildcard makes the broker refuse each publish (events would wait in the
  /// outbox forever); empty levels make topics nobody subscribes to.
  static func prefixProblem(_ prefix: String) -> String? {
    if prefix.isEmpty { return "must not be empty" }
    if prefix.contains(where: { $0 == "#" || $0 == "+" }) { return "must not contain the wildcards '#' or '+'" }
    if prefix.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
      return "must not contain control characters"
    }
    if prefix.hasPrefix("/") || prefix.hasSuffix("/") || prefix.contains("//") {
      return "must not start or end with '/' or contain an empty level ('//')"
    }
    if prefix.utf8.count > 1024 { return "is longer than 1024 bytes" }
    return nil
  }
}
