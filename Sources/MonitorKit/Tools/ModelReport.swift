import CLIP
import Core
import Foundation
import Mamba
import ModelIO
import Tensor

/// `monitor model`: what a model directory holds and what it will cost on
/// this box: its family and shape, the memory its weights take in each
/// precision against what the box has free, whether a temporal file fits it,
/// and a timed run of the image tower per precision, turned into how many
/// cameras it carries.
public struct ModelReport: Sendable, Encodable {
  public struct Speed: Sendable, Encodable {
    public var precision: String
    /// Frames embedded one at a time (as a lone camera's frames are) in the timed run.
    public var frames: Int
    public var millisecondsPerFrame: Double
    /// Cameras at `cameraRate` this precision keeps up with, leaving a fifth of the CPU to decoding.
    public var cameras: Int
    /// The process's resident memory with the model loaded in this precision and warmed up.
    public var residentMebibytes: Double
  }

  public var directory: String
  public var family = "CLIP (Hugging Face CLIPModel)"
  public var imageParameters = 0
  public var textParameters = 0
  public var otherParameters = 0
  /// Element types of the weights file, e.g. ["F32"].
  public var dtypes: [String] = []
  public var fileMiB = 0.0
  public var imageSize: Int
  public var patchSize: Int
  public var picture: String
  public var embeddingWidth: Int
  public var contextLength: Int
  public var vocabularySize: Int
  /// MiB the weights take once loaded, per precision ("fp32", "int8", "bf16").
  public var weightsMiB: [String: Double] = [:]
  public var availableMiB: Double?
  /// The temporal file checked against the model, and what was found.
  public var temporal: String?
  public var temporalVerdict: String?
  /// Frames per second a camera without `fps` samples at with this model.
  public var cameraRate: Double
  public var speeds: [Speed] = []

  /// Reads `directory`'s files (nil: the model embedded in monitor) and, if
  /// given, `temporalFile`; throws the one-line reason a directory is unusable.
  public static func inspect(directory: String?, temporalFile: String?) throws -> ModelReport {
    guard let directory else {
      return try EmbeddedModel.withFiles { files in
        var report = try inspect(
          directory: files, temporalFile: temporalFile ?? files + "/" + EmbeddedModel.temporalFile)
        report.directory = "embedded (\(EmbeddedModel.name))"
        if temporalFile == nil { report.temporal = "embedded" }
        return report
      }
    }
    let files = try CLIPFiles(directory: directory)
    let config = files.config
    var report = ModelReport(
      directory: directory,
      family: config.family == .clip ? "CLIP (Hugging Face CLIPModel)" : "SigLIP (Hugging Face SiglipModel)",
      imageSize: config.imageSize, patchSize: config.patchSize,
      picture: files.imageProcessing.geometry.description, embeddingWidth: config.projectionDim,
      contextLength: config.contextLength, vocabularySize: config.vocabularySize, cameraRate: Engine.poolingRate)
    var linear = 0
    var other = 0
    for (name, entry) in files.weights.entries {
      let count = entry.shape.reduce(1, *)
      if name.hasPrefix("vision_model.") || name == "visual_projection.weight" {
        report.imageParameters += count
      } else if name.hasPrefix("text_model.") || name == "text_projection.weight" {
        report.textParameters += count
      } else {
        report.otherParameters += count
      }
      // The int8 path quantises the towers' linear layers: 2-D weights but the embedding tables.
      if entry.shape.count == 2 && !name.contains("embedding") { linear += count } else { other += count }
    }
    report.dtypes = Set(files.weights.entries.values.map { "\($0.dtype)" }).sorted()
    report.fileMiB = Double(files.weights.entries.values.map { $0.end - $0.begin }.reduce(0, +)) / 1_048_576
    report.weightsMiB["fp32"] = Double(4 * (linear + other)) / 1_048_576
    for precision in PrecisionChoice.autoCandidates {
      let bytes = precision == .int8 ? 1 : 2
      report.weightsMiB[precision.rawValue] = Double(bytes * linear + 4 * other) / 1_048_576
    }
    report.availableMiB = Self.availableMiB()
    if let temporalFile {
      report.temporal = temporalFile
      report.temporalVerdict = Self.verdict(temporalFile: temporalFile, width: config.projectionDim)
      if let adapter = try? TemporalAdapter(file: try SafeTensors(path: temporalFile)),
        adapter.config.dModel == config.projectionDim
      {
        report.cameraRate = 1 / adapter.nominalInterval
      }
    }
    return report
  }

  private static func verdict(temporalFile: String, width: Int) -> String {
    let adapter: TemporalAdapter
    do {
      adapter = try TemporalAdapter(file: try SafeTensors(path: temporalFile))
    } catch {
      return "cannot be used: \(error)"
    }
    guard adapter.config.dModel == width else {
      return "does not match: its width is \(adapter.config.dModel), the model's embeddings are \(width) wide"
    }
    let rates = adapter.trainedIntervals
    func fps(_ interval: Double) -> String { String(format: "%g", 1 / interval) }
    let trained =
      rates.lowerBound == rates.upperBound
      ? "\(fps(rates.lowerBound)) fps" : "\(fps(rates.upperBound))–\(fps(rates.lowerBound)) fps"
    return "matches (width \(width), Mamba d_state \(adapter.config.dState), trained at \(trained))"
  }

  /// MemAvailable of /proc/meminfo.
  static func availableMiB() -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
      let kib = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return nil }
    return kib / 1024
  }

  /// Times the image tower for `seconds` per precision this CPU runs
  /// (`progress` is told which), embedding one frame of noise at a time.
  public mutating func measure(directory: String?, seconds: Double, progress: (String) -> Void) throws {
    for precision in [.fp32] + PrecisionChoice.autoCandidates {
      progress("timing the image tower in \(precision.rawValue) for \(String(format: "%g", seconds)) s")
      var model = try load(directory: directory, precision: precision)
      var generator = SplitMix64(seed: 1)
      let side = model.config.imageSize
      let pixels = (0..<side * side * 3).map { _ in UInt8.random(in: 0...255, using: &generator) }
      let frame = Frame(pts: 0, width: side, height: side, pixels: pixels, sourceWidth: side, sourceHeight: side)
      _ = model.embed(frames: [frame])  // warm-up: first-touch of every weight page
      let resident = ResidentMemory.mebibytes
      let clock = ContinuousClock()
      let start = clock.now
      var frames = 0
      while frames == 0 || (clock.now - start) < .milliseconds(Int(seconds * 1000)) {
        _ = model.embed(frames: [frame])
        frames += 1
      }
      let elapsed = clock.now - start
      let milliseconds =
        (Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15) / Double(frames)
      let cameras = Int((1000 / milliseconds * 0.8 / cameraRate).rounded(.down))
      speeds.append(
        Speed(
          precision: precision.rawValue, frames: frames, millisecondsPerFrame: milliseconds, cameras: cameras,
          residentMebibytes: resident))
    }
  }

  private func load(directory: String?, precision: Precision) throws -> CLIPModel {
    guard let directory else {
      return try EmbeddedModel.withFiles(EmbeddedModel.clipFiles) { try CLIPModel(directory: $0, precision: precision) }
    }
    return try CLIPModel(directory: directory, precision: precision)
  }
}
