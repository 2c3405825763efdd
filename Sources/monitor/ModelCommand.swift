import ArgumentParser
import Foundation
import MonitorKit

/// `monitor model`: check a model directory before pointing `[model] clip` at it.
struct ModelCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "model",
    abstract: "What a CLIP model directory holds, the memory it needs, and how many cameras it carries on this box.",
    discussion: """
      Reads DIR (a Hugging Face CLIP directory; default: the model embedded in
      monitor) and prints its family, parameters per tower, weight types, picture
      size and resize policy, embedding width and text context; the memory its
      weights take in each precision this CPU runs, against what is free;
      whether --temporal fits it; then times the image tower for --seconds per
      precision (one frame at a time, all cores) and says how many cameras that
      carries at the rate a camera without fps samples at. A directory that
      cannot be used is one line: what is wrong and in which file.

      Examples:
        monitor model /var/lib/monitor/models/clip-vit-base-patch32
        monitor model ./clip --temporal ./clip/temporal.safetensors --seconds 5
        monitor model --json --seconds 0
      """)

  @Argument(help: "CLIP model directory (Hugging Face layout); default: the embedded model.")
  var directory: String?

  @Option(help: "A trained temporal adapter to check against the model.")
  var temporal: String?

  @Option(help: "Seconds to time the image tower per precision (0: skip the timing).")
  var seconds = 10.0

  @Flag(help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    guard seconds >= 0 && seconds <= 600 else { throw ValidationError("--seconds must be 0…600") }
    var report = try Failure.wrap { try ModelReport.inspect(directory: directory, temporalFile: temporal) }
    if seconds > 0 {
      try Failure.wrap { try report.measure(directory: directory, seconds: seconds) { logLine("model: \($0)…") } }
    }
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      encoder.keyEncodingStrategy = .convertToSnakeCase  // as replay's JSON and the event payloads
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
      return
    }
    print(Self.text(report))
  }

  static func text(_ r: ModelReport) -> String {
    func millions(_ count: Int) -> String { String(format: "%.1f M", Double(count) / 1e6) }
    func mib(_ value: Double) -> String { String(format: "%.0f MiB", value) }
    var lines = [
      "model: \(r.directory)",
      "  family: \(r.family)",
      "  parameters: image tower \(millions(r.imageParameters)), text tower \(millions(r.textParameters)), "
        + "other \(millions(r.otherParameters)); weights \(r.dtypes.joined(separator: ", ")), \(mib(r.fileMiB)) on disk",
      "  picture: \(r.imageSize)×\(r.imageSize) (\(r.picture)), patch \(r.patchSize)",
      "  embedding width \(r.embeddingWidth); text context \(r.contextLength) tokens, vocabulary \(r.vocabularySize)",
    ]
    let memory = r.weightsMiB.keys.sorted().map { "\($0) \(mib(r.weightsMiB[$0]!))" }.joined(separator: ", ")
    lines.append("  memory for the weights: \(memory)" + (r.availableMiB.map { "; available \(mib($0))" } ?? ""))
    if let temporal = r.temporal {
      lines.append("  temporal \(temporal): \(r.temporalVerdict ?? "-")")
    } else {
      lines.append("  temporal: none (training-free pooling)")
    }
    for speed in r.speeds {
      lines.append(
        "  speed \(speed.precision): \(String(format: "%.1f", speed.millisecondsPerFrame)) ms/frame over "
          + "\(speed.frames) frames → about \(speed.cameras) camera(s) at \(String(format: "%g", r.cameraRate)) fps; "
          + "resident \(mib(speed.residentMebibytes))")
    }
    return lines.joined(separator: "\n")
  }
}
