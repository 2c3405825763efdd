import ArgumentParser
import Foundation
import MonitorKit

/// The daemon's view of one clip through a CLIP checkpoint and a trained
/// adapter, as JSON: each sampled frame's stream time, CLIP embedding and
/// adapter output. tools/temporal/check_export.py feeds the same embeddings
/// and times to the PyTorch adapter the trainer trained and compares.
struct AdapterTrace: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "adapter-trace",
    abstract: "Frame times, CLIP embeddings and adapter outputs of a clip, as JSON (for the trainer's export check).")

  @Option(help: "CLIP model directory (Hugging Face layout).")
  var model: String

  @Option(help: "Trained temporal adapter (safetensors).")
  var temporal: String

  @Option(help: "Video file.")
  var video: String

  @Option(help: "Frames per second to sample.")
  var fps = 4.0

  struct Trace: Encodable {
    var times: [Double]
    var embeddings: [[Float]]
    var outputs: [[Float]]
  }

  func run() throws {
    let engine = try Engine(clipDirectory: model, temporalFile: temporal, precision: .fp32)
    guard var adapter = engine.adapter else { throw ValidationError("no adapter loaded") }
    let clip = try engine.embedClip(url: video, fps: fps)
    var state = adapter.makeState()
    var outputs: [[Float]] = []
    for (frame, embedding) in zip(clip.frames, clip.embeddings) {
      var output = [Float](repeating: 0, count: embedding.count)
      adapter.step(embedding, time: frame.pts, state: &state, into: &output)
      outputs.append(output)
    }
    let trace = Trace(times: clip.frames.map(\.pts), embeddings: clip.embeddings, outputs: outputs)
    FileHandle.standardOutput.write(try JSONEncoder().encode(trace))
  }
}
