import ArgumentParser
import Foundation
import Mamba
import MonitorKit
import Rules

/// Transition rules (`before` … `within`) on the synthetic test split through
/// the training-free path: the embedded model's CLIP with multi-horizon
/// pooling, no trained adapter. For each clip of a state-changing action, a
/// rule written for that clip's object ("a red square" after "an empty
/// scene" for appears) is scored on the clip and on the same clip played
/// backwards; order-swap is the share of clips where the clip itself scores
/// higher. A clip is captioned by what happened last, and every head is read
/// at its last frame (meanP and the adapter too): the transition score is the
/// gate's continuous form there, min(present(T), max before(s) for
/// T − within ≤ s < T), from `RuleTracks`' own smoothed scores.
struct TransitionEval: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "transitions",
    abstract: "Order-swap of transition rules on the synthetic test split (training-free pooling).")

  @Option(help: "Directory written by tools/synthetic/generate.py (manifest.json, test/).")
  var data: String

  @Option(help: "CLIP model directory (the embedded model's files: models/synthetic).")
  var model = "models/synthetic"

  @Option(help: "What CLIP computes in: fp32 (the figures quoted), int8 or auto.")
  var precision = "fp32"

  @Option(help: "Frames per second the model sees.")
  var fps = 4.0

  @Option(help: "Seconds before the match in which `before` must have held.")
  var within = 3.0

  @Option(
    help:
      "Score each clip with this directory's rule for its action (appears, disappears, grows, shrinks; enters and leaves use appears and disappears) instead of a rule written for the clip's object."
  )
  var rulesDir: String?

  struct Manifest: Decodable {
    struct Clip: Decodable {
      var file: String
      var action: String
      var size: String?
      var colour: String?
      var shape: String?
      var other: [String]?
    }
    var test: [Clip]
  }

  /// What held before and what holds after each state-changing action, for an object `look`.
  static func parts(action: String, colour: String, shape: String) -> (before: String, after: String)? {
    let look = "a \(colour) \(shape)"
    switch action {
    case "appears", "enters": return ("an empty scene", look)
    case "disappears", "leaves": return (look, "an empty scene")
    case "grows": return ("a small \(colour) \(shape)", "a large \(colour) \(shape)")
    case "shrinks": return ("a large \(colour) \(shape)", "a small \(colour) \(shape)")
    default: return nil
    }
  }

  func run() throws {
    let manifest = try JSONDecoder().decode(
      Manifest.self, from: try Data(contentsOf: URL(fileURLWithPath: data + "/manifest.json")))
    guard let precision = Configuration.ModelPrecision(rawValue: precision) else {
      throw ValidationError("--precision is fp32, int8 or auto")
    }
    let engine = try Engine(clipDirectory: model, temporalFile: nil, precision: precision)
    guard engine.adapter == nil else { throw ValidationError("expected the training-free path") }
    var wins: [String: (won: Int, clips: Int)] = [:]
    for clip in manifest.test where clip.other == nil {
      guard let colour = clip.colour, let shape = clip.shape,
        let parts = Self.parts(action: clip.action, colour: colour, shape: shape)
      else { continue }
      var rule = Rule(id: "transition", text: [parts.after])
      rule.before = [parts.before]
      rule.within = within
      rule.horizon = 0.5
      if let rulesDir {
        let name = ["enters": "appears", "leaves": "disappears"][clip.action] ?? clip.action
        let file = rulesDir + "/" + name + ".toml"
        rule = try Rule(toml: try String(contentsOfFile: file, encoding: .utf8), file: file)
      }
      guard let scorer = engine.scorer(for: rule) else { throw ValidationError("rule cannot be scored") }
      let embedded = try engine.embedClip(url: data + "/" + clip.file, fps: fps)
      let times = embedded.frames.map(\.pts)
      let forward = transitionScore(embedded.embeddings, times: times, rule: rule, scorer: scorer, engine: engine)
      let backward = transitionScore(
        embedded.embeddings.reversed(), times: times, rule: rule, scorer: scorer, engine: engine)
      var tally = wins[clip.action] ?? (0, 0)
      tally.clips += 1
      if forward > backward { tally.won += 1 }
      wins[clip.action] = tally
    }
    var total = (won: 0, clips: 0)
    for action in wins.keys.sorted() {
      let tally = wins[action]!
      total = (total.won + tally.won, total.clips + tally.clips)
      print(
        "action=\(action.replacingOccurrences(of: " ", with: "-")) clips=\(tally.clips) "
          + "order_swap=\(String(format: "%.4f", Double(tally.won) / Double(tally.clips)))")
    }
    print(
      "action=all clips=\(total.clips) order_swap=\(String(format: "%.4f", Double(total.won) / Double(max(total.clips, 1))))"
    )
  }

  /// The clip's transition score at its last frame (see the type's comment), from a fresh camera state.
  func transitionScore(
    _ embeddings: [[Float]], times: [Double], rule: Rule, scorer: RuleScorer, engine: Engine
  ) -> Double {
    let pooling = MultiHorizonPooling(dimension: engine.clip.config.projectionDim, horizons: Rule.horizons)
    var state = pooling.makeState()
    var tracks = RuleTracks<Int>(camera: "clip")
    var history: [(time: Double, before: Double)] = []
    var present = 0.0
    for (embedding, time) in zip(embeddings, times) {
      pooling.step(embedding, time: time, state: &state)
      let step = tracks.observe(
        rolling: [.whole: state.pooled], time: time, snapshot: { _ in 0 }, rules: [rule], scorer: { _ in scorer })
      guard let score = step.scores.first, let before = score.before else { continue }
      present = score.smoothed
      history.append((time, before))
    }
    // Read at the last frame T: `before` at an earlier frame within `within` seconds.
    guard let end = history.last?.time else { return 0 }
    let held = history.dropLast().filter { end - $0.time <= rule.within }.map(\.before).max() ?? 0
    return min(present, held)
  }
}
