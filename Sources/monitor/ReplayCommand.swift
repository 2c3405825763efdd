import ArgumentParser
import Foundation
import MonitorKit

/// `monitor replay`: pick a threshold from real footage before deploying a rule.
struct ReplayCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "replay",
    abstract:
      "Score rules over a clip (or a live stream for --seconds): timeline, sparkline and the alerts it would send.",
    discussion: """
      Runs exactly the daemon's per-frame path (sampling, CLIP, temporal model,
      calibration, episodes) over FILE and prints each rule's calibrated score
      over time, a sparkline, and the episodes (new/end) it would have produced.
      Use it to choose a rule's threshold before adding it.

      --region NAME=x0,y0,x1,y1 defines a region of the video as a camera's
      [[cameras.regions]] does (fractions of the frame from its top left
      corner): --rule rules then watch every --region given (each scored on
      its own, the best counts), --rules-dir rules the regions they name.

      Examples:
        monitor replay fall.mp4 --model ./clip --rule "a person falls down" --threshold 0.6
        monitor replay driveway.mkv --model ./clip --rules-dir /etc/monitor/rules.d --json
        monitor replay rtsp://cam/stream --seconds 60 --model ./clip --rule "a delivery van"
        monitor replay bedroom.mp4 --rule "a person lying on the floor" --region floor=0,0.5,1,1
      """)

  @Argument(help: "Video file to score, or a live URL (rtsp://, v4l2:) with --seconds.")
  var file: String

  @Option(help: "Live sources: seconds to score.")
  var seconds: Double?

  @Option(help: "An ad-hoc rule text (repeatable).")
  var rule: [String] = []

  @Option(help: "Threshold for --rule rules.")
  var threshold = 0.5

  @Option(help: "Seconds above threshold before an episode, for --rule rules.")
  var minDuration = 1.0

  @Option(help: "Horizon (0.5, 2, 8, 30 s) for --rule rules.")
  var horizon = 2.0

  @Option(
    help: """
      A region of the video, NAME=x0,y0,x1,y1 in fractions of the frame (repeatable); --rule rules watch \
      all of them instead of the whole frame.
      """)
  var region: [String] = []

  @Option(help: "Also score every rule in this directory.")
  var rulesDir: String?

  @Option(
    help: """
      With --rules-dir: the rules' false-alarm pictures, as the daemon keeps them \
      (<state_dir>/false-alarms: a folder per rule id of JPEGs).
      """)
  var falseAlarms: String?

  @Option(help: "Write each episode's best frame there as <episode id>.jpg (the daemon's snapshot).")
  var snapshots: String?

  @Option(
    help:
      "CLIP model directory (Hugging Face layout). Default: the model embedded in monitor, with its trained temporal adapter."
  )
  var model: String?

  @Option(help: "Trained temporal adapter (safetensors). Default with --model: training-free pooling.")
  var temporal: String?

  @Option(
    help:
      "What CLIP computes in: auto (int8 where this CPU runs it fast and its accuracy check passes, else bf16 likewise, else fp32), fp32, int8 or bf16."
  )
  var precision: Configuration.ModelPrecision = .auto

  @Option(
    help:
      "Frames per second to score; default: the temporal model's rate, as a camera without fps (4 for the embedded model, 2 with the training-free pooling)."
  )
  var fps: Double?

  @Flag(help: "Skip frames the motion gate rejects, as the daemon does by default.")
  var motion = false

  @Flag(help: "Print JSON instead of tables.")
  var json = false

  func run() throws {
    let regions = try region.map { text in try Failure.wrap { try Configuration.Camera.Region(parsing: text) } }
    if let name = Dictionary(grouping: regions, by: \.name).first(where: { $0.value.count > 1 })?.key {
      throw ValidationError("--region \(name) is given twice")
    }
    var rules: [Rule] = []
    for (i, text) in rule.enumerated() {
      var r = Rule(id: "rule-\(i + 1)", text: [text])
      r.threshold = threshold
      r.minDuration = minDuration
      r.horizon = horizon
      r.cooldown = 0
      r.regions = regions.map(\.name)
      try Failure.wrap { try r.validate(file: "--rule \"\(text)\"") }
      rules.append(r)
    }
    if let rulesDir {
      let contents = RuleStore(directory: rulesDir, falseAlarms: falseAlarms.map(FalseAlarms.init(directory:))).load()
      for problem in contents.problems { logLine("skipped: \(problem)") }
      rules += contents.rules.map {
        var r = $0
        r.cameras = []
        return r
      }
    }
    guard !rules.isEmpty else { throw ValidationError("give at least one --rule TEXT or --rules-dir DIR") }
    var camera = Configuration.Camera(name: "replay", url: file)
    camera.regions = regions
    for problem in Preflight.missingRegions(cameras: [camera], rules: rules, file: "--region") {
      logLine("warning: \(problem)")
    }
    let engine = try Failure.wrap {
      try Engine(clipDirectory: model, temporalFile: temporal, precision: precision, log: logLine)
    }
    var replay = Replay()
    if let fps, !(fps > 0 && fps <= 30) { throw ValidationError("--fps must be above 0 and at most 30") }
    var isDirectory: ObjCBool = false
    if let falseAlarms,
      !FileManager.default.fileExists(atPath: falseAlarms, isDirectory: &isDirectory) || !isDirectory.boolValue
    {
      throw ValidationError("--false-alarms \(falseAlarms): not a directory (a folder per rule id of JPEGs)")
    }
    replay.fps = fps
    replay.snapshots = snapshots
    replay.log = { logLine("replay: \($0)") }
    replay.motionGate = motion
    replay.regions = regions
    replay.seconds = seconds
    let bar = ProgressBar(label: URL(fileURLWithPath: file).lastPathComponent)
    defer { bar.finish() }  // also on failure
    let result = try Failure.wrap {
      try replay.run(url: file, rules: rules, engine: engine) { bar.update(seconds: $0) }
    }
    bar.finish()
    for problem in engine.takeProblems() { logLine(problem) }
    print(json ? ReplayReport.json(result) : ReplayReport.text(result))
  }
}

/// A one-line progress indicator on stderr (only when stderr is a terminal).
final class ProgressBar {
  let label: String
  private let enabled = isatty(STDERR_FILENO) != 0
  private var lastDrawn = -1

  init(label: String) { self.label = label }

  func update(seconds: Double) {
    guard enabled, Int(seconds) != lastDrawn else { return }
    lastDrawn = Int(seconds)
    logRaw("\r\(label): \(Int(seconds)) s scored…")
  }

  /// Clears the line; safe to call more than once.
  func finish() {
    if enabled && lastDrawn >= 0 { logRaw("\r\u{1B}[K") }
    lastDrawn = -1
  }
}
