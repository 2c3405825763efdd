import Core
import Foundation
import MonitorKit
import Rules
import TestSupport
import Testing

/// Faults an operator's hands (or a deploy script) bring to the rules directory.
@Suite(.serialized) struct RuleDirectoryFaultTests {
  /// M1: `remove-rule ../monitor` deleted `/etc/monitor/monitor.toml`; `enable
  /// ../x/y` read any `*.toml`. Ids typed by an operator are validated first.
  @Test func m1IdsAreNeverPaths() throws {
    let root = try Repository.temporaryDirectory("rule-ids")
    let victim = root.appendingPathComponent("monitor.toml").path
    try "id = \"v\"\ntext = \"x\"\n".write(toFile: victim, atomically: true, encoding: .utf8)
    let store = RuleStore(directory: root.appendingPathComponent("rules").path)
    for id in ["../monitor", "../../../../\(root.path)/monitor", "/etc/passwd", "a/b", ""] {
      #expect(throws: ConfigError.self) { try store.remove(id: id) }
      #expect(throws: ConfigError.self) { try store.rule(id: id) }
    }
    #expect(FileManager.default.fileExists(atPath: victim))
    do {
      try store.remove(id: "../monitor")
    } catch {
      #expect("\(error)".hasSuffix("'../monitor' is not a rule id (1–64 characters of a–z, 0–9, '-' and '_')"))
    }
  }

  /// M2: a file whose name differs from its id could not be enabled, disabled
  /// or removed by the id `monitor rules` shows; it is now reported and skipped.
  @Test func m2FileNameMustBeTheID() throws {
    let directory = try Repository.temporaryDirectory("rule-ids").path
    try "id = \"other\"\ntext = \"x\"\n".write(toFile: directory + "/mismatch.toml", atomically: true, encoding: .utf8)
    let contents = RuleStore(directory: directory).load()
    #expect(contents.rules.isEmpty)
    #expect(
      contents.problems.map(\.description) == [
        "\(directory)/mismatch.toml: id 'other' does not match the file name (rename the file to other.toml)"
      ])
  }

  /// M9: the rules directory renamed away for a second made the daemon drop
  /// every rule (ending episodes, deleting every Home Assistant entity).
  @Test func m9BrieflyMissingDirectoryKeepsTheRules() throws {
    let directory = try Repository.temporaryDirectory("rule-dir")
    let rules = directory.appendingPathComponent("rules").path
    try RuleStore(directory: rules).save(Rule(id: "kept", text: ["a dog"]))
    var configuration = Configuration(node: "test", threads: 1)
    configuration.rulesDirectory = rules
    configuration.stateDirectory = directory.path
    configuration.clipModel = DaemonTests.model
    configuration.mqtt.enabled = false
    let log = Recorder<String>()
    let daemon = try Daemon(configuration: configuration, sinks: [], log: { log.append($0) })
    daemon.start()
    defer { daemon.stop(timeout: 2) }
    let away = directory.appendingPathComponent("rules-away").path
    try FileManager.default.moveItem(atPath: rules, toPath: away)
    #expect(
      waitUntil(timeout: 3) { log.all.contains { $0.contains("is missing or unreadable; keeping the 1 rule(s)") } })
    #expect(daemon.statusLine.contains("1 rules"))
    try FileManager.default.moveItem(atPath: away, toPath: rules)
    #expect(waitUntil(timeout: 3) { log.all.contains("rules reloaded: 1 rule(s)") }, "\(log.all)")
    #expect(!log.all.contains { $0.hasPrefix("rules reloaded: 0") })
  }
}
