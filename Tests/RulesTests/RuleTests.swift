import Core
import Foundation
import Rules
import TestSupport
import Testing

@Suite struct RuleTests {
  @Test func everyExampleInRulesDirectoryLoads() throws {
    let directory = Repository.root.appendingPathComponent("rules")
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".toml") }
    #expect(files.count >= 4)
    var ids: Set<String> = []
    for file in files {
      let path = directory.appendingPathComponent(file).path
      let rule = try Rule(toml: try String(contentsOfFile: path, encoding: .utf8), file: path)
      #expect(rule.id + ".toml" == file, "file name should be the id")
      ids.insert(rule.id)
    }
    #expect(ids.count == files.count)
  }

  @Test func defaultsAndRoundTripThroughTOML() throws {
    let rule = try Rule(toml: "id = \"x\"\ntext = \"a dog\"\n", file: "x.toml")
    #expect(rule.text == ["a dog"] && rule.negatives.isEmpty && rule.cameras.isEmpty && rule.enabled)
    #expect(rule.threshold == 0.5 && rule.minDuration == 1 && rule.cooldown == 60 && rule.horizon == 2)
    #expect(rule.maxPerHour == 10 && !rule.toml.contains("max_per_hour"))
    var full = Rule(id: "fall", text: ["a \"quoted\" fall", "tab\tseparated"])
    full.negatives = ["sitting"]
    full.cameras = ["hall", "stairs"]
    full.threshold = 0.65
    full.minDuration = 1.5
    full.horizon = 0.5
    full.maxPerHour = 0
    full.enabled = false
    full.examples = ["/etc/monitor/fall.jpg"]
    #expect(try Rule(toml: full.toml, file: "fall.toml") == full)
    #expect(full.applies(to: "hall") == false)
    full.enabled = true
    #expect(full.applies(to: "hall") && !full.applies(to: "garage"))
  }

  /// A rule with regions scores each region a camera defines, and does not
  /// apply where none of them is defined.
  @Test func regionsRoundTripAndSayWhatARuleScores() throws {
    var rule = Rule(id: "in-bed", text: ["a person lying in bed"])
    rule.regions = ["bed", "sofa", "bed"]
    #expect(try Rule(toml: rule.toml, file: "r.toml") == rule)
    #expect(rule.views == [.region("bed"), .region("sofa")])
    #expect(rule.views(onCamera: "bedroom", regions: ["bed", "door"]) == [.region("bed")])
    #expect(rule.views(onCamera: "hall", regions: ["door"]).isEmpty)
    #expect(Rule(id: "x", text: ["y"]).views(onCamera: "hall", regions: ["door"]) == [.whole])
    rule.cameras = ["hall"]
    #expect(rule.views(onCamera: "bedroom", regions: ["bed"]).isEmpty)
    #expect(throws: ConfigError.self) {
      try Rule(toml: "id = \"a\"\ntext = \"b\"\nregions = [\"Bed\"]\n", file: "r.toml")
    }
  }

  @Test func transitionRulesRoundTripThroughTOML() throws {
    let rule = try Rule(
      toml: "id = \"fall\"\ntext = \"a person lying on the floor\"\nbefore = \"a person standing\"\n", file: "f.toml")
    #expect(rule.isTransition && rule.before == ["a person standing"])
    #expect(rule.within == 3 && rule.beforeThreshold == nil && rule.effectiveBeforeThreshold == rule.threshold)
    var full = rule
    full.before = ["a parcel at the door", "a box on the doorstep"]
    full.within = 2.5
    full.beforeThreshold = 0.7
    #expect(try Rule(toml: full.toml, file: "f.toml") == full)
    #expect(full.effectiveBeforeThreshold == 0.7)
    #expect(!Rule(id: "plain", text: ["a"]).toml.contains("within"))
  }

  @Test(arguments: [
    ("text = \"a\"", "r.toml: missing 'id'"),
    ("id = \"x\"", "r.toml: missing 'text' (what to detect, e.g. text = \"a person falls down\")"),
    (
      "id = \"X Y\"\ntext = \"a\"",
      "r.toml:1: id 'X Y' must be 1–64 characters of a–z, 0–9, '-' and '_' (it names MQTT topics)"
    ),
    ("id = \"x\"\ntext = [\"  \"]", "r.toml:2: text must have at least one non-empty phrasing"),
    ("id = \"x\"\ntext = \"a\"\nthreshold = 1.5", "r.toml:3: threshold must be between 0 and 1 (exclusive), got 1.5"),
    ("id = \"x\"\ntext = \"a\"\nthreshold = \"high\"", "r.toml:3: 'threshold' must be a number, not a string"),
    ("id = \"x\"\ntext = \"a\"\nhorizon = 5", "r.toml:3: horizon must be one of 0.5, 2, 8, 30 seconds, got 5.0"),
    ("id = \"x\"\ntext = \"a\"\nmin_duration = -1", "r.toml:3: min_duration must be 0…3600 seconds, got -1.0"),
    ("id = \"x\"\ntext = \"a\"\ncooldown = 1e9", "r.toml:3: cooldown must be 0…86400 seconds, got 1000000000.0"),
    ("id = \"x\"\ntext = \"a\"\nmax_per_hour = -1", "r.toml:3: max_per_hour must be 0…3600, got -1"),
    (
      "id = \"x\"\ntext = \"a\"\nmax_per_hour = 2.5",
      "r.toml:3: 'max_per_hour' must be a whole number, not a decimal number"
    ),
    ("id = \"x\"\ntext = [1]", "r.toml:2: 'text' must be a string or an array of strings, not an array"),
    ("id = \"x\"\ntext = \"a\"\nenabled = 1", "r.toml:3: 'enabled' must be true or false, not an integer"),
    (
      "id = \"x\"\ntext = \"a\"\ncamera = [\"a\"]",
      "r.toml:3: unknown key 'camera' (did you mean 'cameras'?); valid keys: id, text, negatives, cameras, regions, threshold, min_duration, cooldown, horizon, max_per_hour, before, within, before_threshold, enabled, examples"
    ),
    ("id = \"x\"\ntext = \"a", "r.toml:2: unterminated string"),
    // L4: a 200 KB one-word phrasing stalled inference for seconds (quadratic tokenizer).
    (
      "id = \"x\"\ntext = \"" + String(repeating: "a", count: 1001) + "\"",
      "r.toml:2: text: a phrasing of 1001 characters (at most 1000; say it in a few words)"
    ),
    // L9: terminal escapes and carriage returns reached `monitor rules` and payloads.
    ("id = \"x\"\ntext = \"a\\u001b[31mred\"", "r.toml:2: text must not contain control characters"),
    ("id = \"x\"\ntext = \"a\"\nnegatives = [\"b\\rc\"]", "r.toml:3: negatives must not contain control characters"),
    ("id = \"x\"\ntext = \"line\\nbreak\"", "r.toml:2: text must not contain control characters"),
    // Transition rules.
    (
      "id = \"x\"\ntext = \"a\"\nwithin = 3",
      "r.toml:3: 'within' needs 'before' (what must have held first, e.g. before = [\"a person standing\"])"
    ),
    (
      "id = \"x\"\ntext = \"a\"\nbefore = []\nbefore_threshold = 0.5",
      "r.toml:4: 'before_threshold' needs 'before' (what must have held first, e.g. before = [\"a person standing\"])"
    ),
    ("id = \"x\"\ntext = \"a\"\nbefore = [\" \"]", "r.toml:3: before must not contain empty phrasings"),
    (
      "id = \"x\"\ntext = \"a\"\nbefore = \"b\"\nwithin = 0",
      "r.toml:4: within must be above 0 and at most 3600 seconds, got 0.0"
    ),
    (
      "id = \"x\"\ntext = \"a\"\nbefore = \"b\"\nbefore_threshold = 1",
      "r.toml:4: before_threshold must be between 0 and 1 (exclusive), got 1.0"
    ),
    ("id = \"x\"\ntext = \"a\"\nbefore = [\"b\\u0007\"]", "r.toml:3: before must not contain control characters"),
  ])
  func brokenFilesSayWhatAndWhere(text: String, message: String) {
    do {
      _ = try Rule(toml: text, file: "r.toml")
      Issue.record("accepted: \(text)")
    } catch {
      #expect(error.description == message)
    }
  }
}
