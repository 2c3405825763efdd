import Foundation
import TestSupport
import Testing

/// Numeric options an operator can mistype (L5): each refused with its
/// range instead of trapping (NaN, 1e300), spinning (0) or hanging (100,000 threads).
@Suite struct CommandLineTests {
  @Test(arguments: [
    (["run", "--stats-interval", "0"], "--stats-interval must be 1…86400 seconds, got 0.0"),
    (["run", "--stats-interval", "nan"], "--stats-interval must be 1…86400 seconds, got nan"),
    (["run", "--stats-interval", "1e300"], "--stats-interval must be 1…86400 seconds, got 1e+300"),
    (["probe", "x.mp4", "--open-timeout", "nan"], "--open-timeout must be 0.1…3600 seconds, got nan"),
    (["probe", "x.mp4", "--open-timeout=-1"], "--open-timeout must be 0.1…3600 seconds, got -1.0"),
    (
      ["probe", "x.mp4", "--decoder-threads", "100000"], "--decoder-threads must be 0…64 (0 = one per core), got 100000"
    ),
  ])
  func l5NumericOptionsAreRefusedWithTheirRange(arguments: [String], message: String) throws {
    let result = try Executables.monitor(arguments)
    #expect(result.status != 0 && result.output.contains(message), "\(result.output)")
  }

  /// L7: `check-config` said ok to what `run` then failed on or ignored.
  @Test func l7CheckConfigFindsWhatRunWouldFailOnOrIgnore() throws {
    let directory = try Repository.temporaryDirectory("check-config")
    let rules = directory.appendingPathComponent("rules").path
    try FileManager.default.createDirectory(atPath: rules, withIntermediateDirectories: true)
    try "id = \"gate\"\ntext = \"a car\"\ncameras = [\"door\", \"gate\"]\n".write(
      toFile: rules + "/gate.toml", atomically: true, encoding: .utf8)
    let notADirectory = directory.appendingPathComponent("state").path
    try "".write(toFile: notADirectory, atomically: true, encoding: .utf8)
    let config = directory.appendingPathComponent("monitor.toml").path
    try """
    rules_dir = "\(rules)"
    state_dir = "\(notADirectory)"
    [mqtt]
    tls_ca = "/nonexistent/ca.pem"
    [http]
    enabled = true
    listen = "0.0.0.0:8090"
    [history]
    enabled = false
    [[cameras]]
    name = "door"
    url = "/nonexistent/door.mp4"
    """.write(toFile: config, atomically: true, encoding: .utf8)
    let result = try Executables.monitor(["check-config", config])
    #expect(result.status == 1)
    for expected in [
      "\(notADirectory): state_dir is not a directory",
      "\(config):10: camera door: /nonexistent/door.mp4: No such file or directory",
      "warning: [memory] is on but [history] is off: the memory lives in the history's database",
      "/nonexistent/ca.pem: mqtt tls_ca cannot be read (No such file or directory)",
      "warning: rule gate: camera 'gate' is not in \(config) (the rule never applies there)",
      "warning: http listen 0.0.0.0:8090 is reachable from other machines and needs a bearer token",
    ] {
      #expect(result.output.contains(expected), "missing: \(expected)\n\(result.output)")
    }
  }

  /// L14: every command loading the embedded model wrote all of it (3.3 MB)
  /// under $TMPDIR, created a missing $TMPDIR, and left it behind when killed.
  @Test func l14EmbeddedModelNeverCreatesTMPDIRAndCleansUpAfterKilledRuns() throws {
    let directory = try Repository.temporaryDirectory("tmpdir")
    let rules = directory.appendingPathComponent("rules").path
    let config = directory.appendingPathComponent("monitor.toml").path
    try "rules_dir = \"\(rules)\"\n".write(toFile: config, atomically: true, encoding: .utf8)
    let temporary = directory.appendingPathComponent("tmp").path
    try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
    let leftover = temporary + "/monitor-model-2147483646-deadbeef"  // no such process
    try FileManager.default.createDirectory(atPath: leftover, withIntermediateDirectories: true)
    var environment = ProcessInfo.processInfo.environment
    environment["TMPDIR"] = temporary
    let added = try Executables.monitor(["add-rule", "a car arrives", "--config", config], environment: environment)
    #expect(added.status == 0, "\(added.output)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: temporary).isEmpty)
    let missing = directory.appendingPathComponent("no/such/tmp").path
    environment["TMPDIR"] = missing
    let again = try Executables.monitor(["add-rule", "a dog barks", "--config", config], environment: environment)
    #expect(again.status == 0, "\(again.output)")
    #expect(!FileManager.default.fileExists(atPath: missing))
  }
}
