import ArgumentParser
import Foundation
import MonitorKit

/// Where the rules live: `--rules-dir`, else the config's `rules_dir`, else the default.
struct RulesLocation: ParsableArguments {
  @Option(help: "Configuration file (its rules_dir is used).")
  var config = "/etc/monitor/monitor.toml"

  @Option(help: "Rules directory (overrides the configuration).")
  var rulesDir: String?

  func store() throws -> RuleStore {
    if let rulesDir { return RuleStore(directory: rulesDir) }
    if FileManager.default.fileExists(atPath: config) {
      return RuleStore(directory: try Failure.wrap { try Configuration(contentsOf: config) }.rulesDirectory)
    }
    return RuleStore(directory: Configuration().rulesDirectory)
  }

  /// Where the daemon keeps the rules switched off per camera (the configuration's `state_dir`).
  func switchesFile() -> String {
    let configuration = FileManager.default.fileExists(atPath: config) ? try? Configuration(contentsOf: config) : nil
    return (configuration ?? Configuration()).stateDirectory + "/" + RuleSwitches.fileName
  }

  /// The check of phrasings against the configured model's tokenizer; nil if it cannot be read.
  func phrasingCheck() -> PhrasingCheck? {
    let configuration = FileManager.default.fileExists(atPath: config) ? try? Configuration(contentsOf: config) : nil
    return PhrasingCheck(clipModel: configuration?.clipModel)
  }
}

struct AddRule: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "add-rule",
    abstract: "Add a standing text rule (a file in the rules directory; a running daemon picks it up within a second).",
    discussion: """
      The rule matches when the video looks like TEXT more than like its negatives
      and generic background scenes (a calibrated score 0–1). Works whether or not
      the daemon is running.

      Examples:
        monitor add-rule "a person falls down" --negative "a person sits down" --threshold 0.6
        monitor add-rule "a car in the driveway" --camera driveway --min-duration 3 --horizon 8
        monitor add-rule "smoke or fire" --also-text "flames" --cooldown 300
        monitor add-rule "a person lying on the floor" --before "a person standing" --within 3

      With --before the rule is a transition: an episode opens only when BEFORE
      held within --within seconds before the match of TEXT began (a fall:
      standing, then lying on the floor; a parcel taken: a parcel at the door,
      then an empty doorstep).
      """)

  @Argument(help: "What to detect, in plain words.")
  var text: String

  @Option(help: "More phrasings of the same thing (repeatable).")
  var alsoText: [String] = []

  @Option(help: "Rule id (a–z, 0–9, '-', '_'); default: made from the text.")
  var id: String?

  @Option(help: "Camera the rule applies to (repeatable); default: every camera.")
  var camera: [String] = []

  @Option(
    help: """
      Camera region the rule watches instead of the whole frame (repeatable; a [[cameras.regions]] name of the \
      configuration; each scored on its own).
      """)
  var region: [String] = []

  @Option(help: "Calibrated score (0–1) that opens an episode.")
  var threshold = 0.5

  @Option(help: "What it must not be mistaken for (repeatable).")
  var negative: [String] = []

  @Option(help: "Seconds above the threshold before an alert.")
  var minDuration = 1.0

  @Option(help: "Seconds after an episode ends before the next may start.")
  var cooldown = 60.0

  @Option(help: "Seconds of temporal context: 0.5, 2, 8 or 30.")
  var horizon = 2.0

  @Option(help: "Episodes per hour at most; 0: no cap.")
  var maxPerHour = 10

  @Option(help: "A transition: what must have held before TEXT matched (repeatable phrasings).")
  var before: [String] = []

  @Option(help: "Seconds before the match in which --before must have held.")
  var within: Double?

  @Option(help: "Calibrated score (0–1) --before must reach; default: --threshold.")
  var beforeThreshold: Double?

  @Option(help: "An image of the thing to detect (repeatable); its embedding joins the phrasings.")
  var exampleImage: [String] = []

  @Flag(help: "Write the rule disabled.")
  var disabled = false

  @OptionGroup var location: RulesLocation

  func run() throws {
    let store = try location.store()
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !trimmed.isEmpty else {
      throw Failure("the rule text is empty; say what to detect, e.g. \"a person falls down\"")
    }
    for image in exampleImage {
      if let problem = ExamplePictures.problem(with: image) { throw Failure("\(image): example image: \(problem)") }
    }
    var rule = Rule(id: id ?? store.suggestedID(for: trimmed), text: [trimmed] + alsoText)
    if FileManager.default.fileExists(atPath: store.path(of: rule.id)) {
      throw Failure(
        "\(store.path(of: rule.id)): a rule with id '\(rule.id)' exists; remove it first or pick another --id")
    }
    rule.negatives = negative
    rule.cameras = camera
    rule.regions = region
    rule.threshold = threshold
    rule.minDuration = minDuration
    rule.cooldown = cooldown
    rule.horizon = horizon
    rule.maxPerHour = maxPerHour
    if before.isEmpty, within != nil || beforeThreshold != nil {
      throw Failure("--within and --before-threshold need --before (what must have held first)")
    }
    rule.before = before
    rule.within = within ?? rule.within
    rule.beforeThreshold = beforeThreshold
    rule.enabled = !disabled
    rule.examples = exampleImage.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    if let tokenizer = location.phrasingCheck() {
      for phrase in rule.text + rule.negatives + rule.before where tokenizer.isTruncated(phrase) {
        logLine(
          "add-rule: warning: \"\(phrase.prefix(40))…\" is longer than \(tokenizer.contextLength) tokens; the rest is ignored"
        )
      }
    }
    try Failure.wrap { try store.save(rule, replacing: false) }
    print("added rule '\(rule.id)' → \(store.path(of: rule.id))")
  }
}

struct RemoveRule: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "remove-rule", abstract: "Remove a rule (a running daemon ends its open episodes within a second).",
    discussion: "Example:\n  monitor remove-rule person-falls")

  @Argument(help: "The rule's id (see `monitor rules`).")
  var id: String

  @OptionGroup var location: RulesLocation

  func run() throws {
    try Failure.wrap { try location.store().remove(id: id) }
    print("removed rule '\(id)'")
  }
}

struct ListRules: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rules",
    abstract: "List the rules: id, text, cameras, threshold, enabled; broken files are reported.",
    discussion: """
      SWITCHED OFF names the cameras on which the rule was switched off at run time (Home Assistant's \
      switch, MQTT <prefix>/<node>/<camera>/<rule>/set), as the daemon keeps them in \
      <state_dir>/rule-switches.json.

      Examples:
        monitor rules
        monitor rules --rules-dir ./rules
      """)

  @OptionGroup var location: RulesLocation

  func run() throws {
    let store = try location.store()
    let contents = store.load()
    let switchedOff: Set<RuleSwitches.Pair>
    do {
      switchedOff = try RuleSwitches.read(file: location.switchesFile())
    } catch {
      switchedOff = []
      logLine("rule switches unknown: \(error)")
    }
    let rows = contents.rules.map { rule in
      // A transition shows what held before: "a person standing → (3 s) a person lying on the floor".
      let before =
        rule.isTransition
        ? rule.before.joined(separator: " | ") + " → (\(String(format: "%g", rule.within)) s) " : ""
      return [
        rule.id, before + rule.text.joined(separator: " | "),
        (rule.cameras.isEmpty ? "all" : rule.cameras.joined(separator: ","))
          + (rule.regions.isEmpty ? "" : " [" + rule.regions.joined(separator: ",") + "]"),
        String(rule.threshold), rule.enabled ? "yes" : "no",
        switchedOff.filter { $0.rule == rule.id }.map(\.camera).sorted().joined(separator: ",").ifEmpty("-"),
      ]
    }
    print(Table.render(header: ["ID", "TEXT", "CAMERAS", "THRESHOLD", "ENABLED", "SWITCHED OFF"], rows: rows))
    for problem in contents.problems { logLine("skipped: \(problem)") }
    if contents.rules.isEmpty && contents.problems.isEmpty { logLine("no rules in \(store.directory)") }
  }
}

struct EnableRule: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "enable", abstract: "Enable a rule.", discussion: "Example:\n  monitor enable person-at-night")
  @Argument(help: "The rule's id.") var id: String
  @OptionGroup var location: RulesLocation
  func run() throws { try setEnabled(true, id: id, location: location) }
}

struct DisableRule: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "disable", abstract: "Disable a rule (kept on disk; open episodes end).",
    discussion: "Example:\n  monitor disable person-at-night")
  @Argument(help: "The rule's id.") var id: String
  @OptionGroup var location: RulesLocation
  func run() throws { try setEnabled(false, id: id, location: location) }
}

private func setEnabled(_ enabled: Bool, id: String, location: RulesLocation) throws {
  try Failure.wrap {
    let store = try location.store()
    var rule = try store.rule(id: id)
    rule.enabled = enabled
    try store.save(rule)
  }
  print("\(enabled ? "enabled" : "disabled") rule '\(id)'")
}

struct CheckConfig: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check-config",
    abstract: "Validate the configuration, the model and every rule file; exit 1 on any problem.",
    discussion: """
      Besides syntax: loads the model, and checks that state_dir is writable, file cameras exist, and TLS and \
      password files can be read (errors); rules naming cameras the configuration lacks are warnings.

      Examples:
        monitor check-config
        monitor check-config ./monitor.toml
      """)

  @Argument(help: "Configuration file.")
  var config = "/etc/monitor/monitor.toml"

  func run() throws {
    let configuration = try Failure.wrap { try Configuration(contentsOf: config) }
    // Loading the model catches what would otherwise fail at the daemon's first frame.
    let engine = try Failure.wrap {
      try Engine(
        clipDirectory: configuration.clipModel, temporalFile: configuration.temporalModel,
        retrospectiveFile: configuration.retrospectiveModel,
        precision: configuration.precision, log: { print($0) })
    }
    let contents = RuleStore(directory: configuration.rulesDirectory).load()
    print(
      "\(config): \(configuration.cameras.count) camera(s), node '\(configuration.node)', mqtt \(configuration.mqtt.host):\(configuration.mqtt.port)"
    )
    print("model: \(engine.modelName) loaded")
    print("\(configuration.rulesDirectory): \(contents.rules.count) rule(s)")
    for problem in contents.problems { logLine("\(problem)") }
    let findings = Preflight.check(configuration, file: config, rules: contents.rules)
    for finding in findings { logLine("\(finding)") }
    // What the daemon would log when the camera starts: a rate the temporal model was not trained at.
    for camera in configuration.cameras where camera.enabled {
      if let warning = engine.rateWarning(camera: camera.name, fps: camera.fps ?? engine.nominalRate) {
        logLine("\(config): warning: \(warning)")
      }
    }
    if let warning = engine.retrospectiveWarning(memory: configuration.memory) {
      logLine("\(config): warning: \(warning)")
    }
    let errors = contents.problems.count + findings.filter(\.isError).count
    guard errors == 0 else {
      logLine("\(config): \(errors) problem(s)")
      throw ExitCode(1)
    }
    print("\(config): ok")
  }
}

/// Plain aligned text tables for the terminal.
enum Table {
  static func render(header: [String], rows: [[String]]) -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { min($0[column].count, 60) }.max() ?? 0 }
    return all.map { row in
      row.enumerated().map { column, cell in
        let text = cell.count > 60 ? String(cell.prefix(59)) + "…" : cell
        return column == row.count - 1 ? text : text.padding(toLength: widths[column], withPad: " ", startingAt: 0)
      }.joined(separator: "  ")
    }.joined(separator: "\n")
  }
}

extension String {
  fileprivate func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
