import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The rule commands through the real binary, as an operator types them.
@Suite struct RuleCommandTests {
  @Test func addListDisableEnableRemove() throws {
    let directory = try Repository.temporaryDirectory("rule-cli").path
    let add = try Executables.monitor([
      "add-rule", "A person falls down", "--negative", "a person sits down", "--camera", "hall", "--threshold", "0.6",
      "--horizon", "0.5", "--rules-dir", directory,
    ])
    #expect(add.status == 0 && add.output.contains("added rule 'a-person-falls-down'"))
    let listed = try Executables.monitor(["rules", "--rules-dir", directory])
    #expect(
      listed.output.contains("a-person-falls-down  A person falls down  hall     0.6        yes"), "\(listed.output)")
    #expect(try Executables.monitor(["disable", "a-person-falls-down", "--rules-dir", directory]).status == 0)
    #expect(try Executables.monitor(["rules", "--rules-dir", directory]).output.contains("0.6        no"))
    #expect(try Executables.monitor(["enable", "a-person-falls-down", "--rules-dir", directory]).status == 0)
    let duplicate = try Executables.monitor(["add-rule", "x", "--id", "a-person-falls-down", "--rules-dir", directory])
    #expect(duplicate.status != 0 && duplicate.output.contains("a rule with id 'a-person-falls-down' exists"))
    #expect(try Executables.monitor(["remove-rule", "a-person-falls-down", "--rules-dir", directory]).status == 0)
    let missing = try Executables.monitor(["remove-rule", "a-person-falls-down", "--rules-dir", directory])
    #expect(missing.status != 0 && missing.output.contains("no rule with id 'a-person-falls-down'"))
  }

  @Test func invalidRulesAreRefusedWithAReason() throws {
    let directory = try Repository.temporaryDirectory("rule-cli").path
    let empty = try Executables.monitor(["add-rule", "   ", "--rules-dir", directory])
    #expect(empty.status != 0 && empty.output.contains("the rule text is empty"))
    let horizon = try Executables.monitor(["add-rule", "a dog", "--horizon", "5", "--rules-dir", directory])
    #expect(horizon.status != 0 && horizon.output.contains("horizon must be one of 0.5, 2, 8, 30 seconds"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
  }

  @Test func addRuleWritesATransitionRule() throws {
    let directory = try Repository.temporaryDirectory("rule-cli").path
    let added = try Executables.monitor([
      "add-rule", "a person lying on the floor", "--id", "falls", "--before", "a person standing", "--within", "2.5",
      "--before-threshold", "0.7", "--rules-dir", directory,
    ])
    #expect(added.status == 0, "\(added.output)")
    let written = try String(contentsOfFile: directory + "/falls.toml", encoding: .utf8)
    #expect(
      written.contains("before = [\"a person standing\"]\nwithin = 2.5\nbefore_threshold = 0.7"), "\(written)")
    let listed = try Executables.monitor(["rules", "--rules-dir", directory])
    #expect(
      listed.output.contains("falls  a person standing → (2.5 s) a person lying on the floor"), "\(listed.output)")
    let orphan = try Executables.monitor(["add-rule", "a dog", "--within", "3", "--rules-dir", directory])
    #expect(orphan.status != 0 && orphan.output.contains("--within and --before-threshold need --before"))
    let zero = try Executables.monitor([
      "add-rule", "a dog", "--before", "a cat", "--within", "0", "--rules-dir", directory,
    ])
    #expect(zero.status != 0 && zero.output.contains("within must be above 0 and at most 3600 seconds"))
  }

  /// H3: `add-rule --example-image` accepted a FIFO or `/dev/zero` (it only
  /// checked that the path was readable), which then blocked scoring.
  @Test func h3ExampleImageMustBeARegularFile() throws {
    let directory = try Repository.temporaryDirectory("rule-cli")
    let fifo = directory.appendingPathComponent("example.fifo").path
    #expect(mkfifo(fifo, 0o600) == 0)
    let rules = directory.appendingPathComponent("rules").path
    for image in [fifo, "/dev/zero"] {
      let added = try Executables.monitor(["add-rule", "a dog", "--example-image", image, "--rules-dir", rules])
      #expect(added.status != 0, "\(image)")
      #expect(added.output.contains("\(image): example image: not a regular file (a FIFO, device or directory)"))
    }
    #expect(!FileManager.default.fileExists(atPath: rules))
  }

  /// M4: a model that crashes the daemon at its first frame passed `check-config`.
  @Test func m4CheckConfigLoadsTheModel() throws {
    let directory = try Repository.temporaryDirectory("check-config")
    let model = directory.appendingPathComponent("model")
    try FileManager.default.copyItem(
      at: Repository.root.appendingPathComponent("Tests/Fixtures/clip/models/tiny-gelu"), to: model)
    let vocabulary = model.appendingPathComponent("vocab.json")
    var tokens = try JSONSerialization.jsonObject(with: Data(contentsOf: vocabulary)) as! [String: Any]
    tokens["<|endoftext|>"] = 999_999
    try JSONSerialization.data(withJSONObject: tokens).write(to: vocabulary)
    let config = directory.appendingPathComponent("monitor.toml").path
    try "rules_dir = \"\(directory.path)\"\n[model]\nclip = \"\(model.path)\"\n".write(
      toFile: config, atomically: true, encoding: .utf8)
    let result = try Executables.monitor(["check-config", config])
    #expect(result.status != 0 && result.output.contains("vocab.json: token '<|endoftext|>' has id 999999"))
  }

  /// A `[model] retrospective` that is the causal adapter's file (no
  /// backward scan) is refused in one line naming the file and the tensor.
  @Test func checkConfigLoadsTheRetrospectiveReRanker() throws {
    let directory = try Repository.temporaryDirectory("check-config")
    let config = directory.appendingPathComponent("monitor.toml").path
    let causal = Repository.root.appendingPathComponent("models/synthetic/temporal.safetensors").path
    try "rules_dir = \"\(directory.path)\"\n[model]\nretrospective = \"\(causal)\"\n".write(
      toFile: config, atomically: true, encoding: .utf8)
    let result = try Executables.monitor(["check-config", config])
    #expect(
      result.status != 0 && result.output.contains("temporal.safetensors: tensor 'forward.in_proj.weight': missing"),
      "\(result.output)")
  }

  @Test func checkConfigReportsBrokenRules() throws {
    let directory = try Repository.temporaryDirectory("check-config")
    let rules = directory.appendingPathComponent("rules").path
    try FileManager.default.createDirectory(atPath: rules, withIntermediateDirectories: true)
    try "id = \"ok\"\ntext = \"a dog\"\n".write(toFile: rules + "/ok.toml", atomically: true, encoding: .utf8)
    try "id = \"bad\"\ntext = \"a dog\"\ncooldwn = 3\n".write(
      toFile: rules + "/bad.toml", atomically: true, encoding: .utf8)
    let config = directory.appendingPathComponent("monitor.toml").path
    try "rules_dir = \"\(rules)\"\n".write(toFile: config, atomically: true, encoding: .utf8)
    let result = try Executables.monitor(["check-config", config])
    #expect(result.status == 1)
    #expect(
      result.output.contains("1 rule(s)")
        && result.output.contains("bad.toml:3: unknown key 'cooldwn' (did you mean 'cooldown'?)"))
  }

  /// A camera rate the embedded adapter was not trained at is a warning
  /// (the daemon would log it at start); a camera without fps is not.
  @Test func checkConfigWarnsAboutACameraRateTheTemporalModelNeverSaw() throws {
    let directory = try Repository.temporaryDirectory("check-config")
    let video = Repository.root.appendingPathComponent("models/synthetic/demo/camera.mp4").path
    let config = directory.appendingPathComponent("monitor.toml").path
    try FileManager.default.createDirectory(
      at: directory.appendingPathComponent("rules"), withIntermediateDirectories: true)
    try """
    rules_dir = "\(directory.path)/rules"
    state_dir = "\(directory.path)/state"
    [[cameras]]
    name = "slow"
    url = "\(video)"
    fps = 2
    [[cameras]]
    name = "default"
    url = "\(video)"
    """.write(toFile: config, atomically: true, encoding: .utf8)
    let result = try Executables.monitor(["check-config", config])
    #expect(result.status == 0, "\(result.output)")
    #expect(
      result.output.contains(
        "warning: camera 'slow': fps 2 is outside the rates the temporal model was trained at (4 fps)"),
      "\(result.output)")
    #expect(!result.output.contains("camera 'default': fps"))
  }
}
