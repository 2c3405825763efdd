import Core
import Foundation
import MonitorKit
import Rules
import TestSupport
import Testing

/// Regions per rule, end to end on the embedded default model: the demo's
/// 64×64 scene pasted small into a 256×256 frame. Cut at full resolution, a
/// region exactly around the scene gives the rules what the scene alone
/// gives them; the whole frame, where the scene is a sixteenth of the
/// picture, does not. Then the daemon: events name the region, the history
/// keeps it, and `check-config` refuses a rule naming a region no camera has.
@Suite(.serialized) struct RegionTests {
  /// The scene's place in the pasted frame: x 176–240, y 160–224 of 256.
  static let corner = "corner=0.6875,0.625,0.9375,0.875"

  /// The demo's first 20 s (re-encoded alike), and the same pasted into a 256×256 frame.
  static func videos(in directory: URL) throws -> (scene: String, pasted: String) {
    let scene = directory.appendingPathComponent("scene.mp4").path
    let pasted = directory.appendingPathComponent("pasted.mp4").path
    try ChildProcess.run(
      "/usr/bin/ffmpeg",
      [
        "-hide_banner", "-loglevel", "error", "-y", "-i", DemoVideo.path, "-t", "20", "-c:v", "libx264", "-crf", "18",
        "-pix_fmt", "yuv420p", scene,
      ])
    try ChildProcess.run(
      "/usr/bin/ffmpeg",
      [
        "-hide_banner", "-loglevel", "error", "-y", "-i", scene, "-f", "lavfi", "-i", "color=c=0x5a6470:s=256x256:r=8",
        "-filter_complex", "[1][0]overlay=x=176:y=160:shortest=1", "-c:v", "libx264", "-crf", "18", "-pix_fmt",
        "yuv420p", pasted,
      ])
    return (scene, pasted)
  }

  static func bundledRules(regions: [String] = []) -> [Rule] {
    RuleStore(directory: Repository.root.appendingPathComponent("models/synthetic/rules").path).load().rules.map {
      var rule = $0
      rule.regions = regions
      return rule
    }
  }

  static func opened(_ events: [AlertEvent]) -> [(rule: String, start: Double, region: String?)] {
    events.filter { $0.kind == .new }.map { ($0.rule, $0.startTime, $0.region) }
  }

  @Test func aRegionSeesTheSmallSceneAsTheSceneAlone() throws {
    let directory = try Repository.temporaryDirectory("regions")
    let (scene, pasted) = try Self.videos(in: directory)
    let engine = try Engine(clipDirectory: nil, temporalFile: nil)
    var replay = Replay()
    replay.fps = 4
    let alone = Self.opened(try replay.run(url: scene, rules: Self.bundledRules(), engine: engine).events)
    let whole = Self.opened(try replay.run(url: pasted, rules: Self.bundledRules(), engine: engine).events)
    replay.regions = [try Configuration.Camera.Region(parsing: Self.corner)]
    let region = Self.opened(
      try replay.run(url: pasted, rules: Self.bundledRules(regions: ["corner"]), engine: engine).events)
    #expect(alone.count >= 3, "the demo's first 20 s hold several events: \(alone)")
    #expect(region.map(\.rule) == alone.map(\.rule), "region \(region)\nscene alone \(alone)")
    for (a, b) in zip(region, alone) { #expect(abs(a.start - b.start) <= 0.5, "\(a) vs \(b)") }
    #expect(region.allSatisfy { $0.region == "corner" } && alone.allSatisfy { $0.region == nil })
    #expect(whole.count < alone.count, "the whole frame: \(whole)")
  }

  @Test func theDaemonNamesTheRegionAndCheckConfigRefusesAMissingOne() throws {
    let directory = try Repository.temporaryDirectory("regions-daemon")
    let (_, pasted) = try Self.videos(in: directory)
    let rules = directory.appendingPathComponent("rules").path
    let store = RuleStore(directory: rules)
    for rule in Self.bundledRules(regions: ["corner"]) { try store.save(rule) }
    let config = directory.appendingPathComponent("monitor.toml").path
    let box = Self.corner.split(separator: "=")[1]
    func write(region name: String) throws {
      try """
      node = "test"
      rules_dir = "\(rules)"
      state_dir = "\(directory.path)/state"
      [mqtt]
      enabled = false
      [[cameras]]
      name = "yard"
      url = "\(pasted)"
      motion = false
      [[cameras.regions]]
      name = "\(name)"
      box = [\(box)]
      """.write(toFile: config, atomically: true, encoding: .utf8)
    }
    try write(region: "gate")
    let refused = try Executables.monitor(["check-config", config])
    #expect(refused.status == 1)
    #expect(
      refused.output.contains(
        "rule appears: region 'corner' is not defined on its camera(s) yard in \(config) (defined there: gate)"),
      "\(refused.output)")

    try write(region: "corner")
    let checked = try Executables.monitor(["check-config", config])
    #expect(checked.status == 0, "\(checked.output)")
    let eventsFile = directory.appendingPathComponent("events.jsonl").path
    let run = try Executables.monitor(["run", "--config", config, "--events-file", eventsFile, "--seconds", "12"])
    #expect(run.status == 0, "\(run.output)")
    let events = try String(contentsOfFile: eventsFile, encoding: .utf8).split(separator: "\n").compactMap {
      try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    #expect(events.contains { $0["type"] as? String == "new" }, "\(run.output)")
    #expect(events.allSatisfy { $0["region"] as? String == "corner" }, "\(events)")
    let listed = try Executables.monitor(["events", "--config", config, "--json"])
    #expect(listed.status == 0 && listed.output.contains("\"region\":\"corner\""), "\(listed.output)")
  }
}
