import ArgumentParser
import Foundation
import MonitorKit

/// The synthetic benchmark's clip metrics computed by monitor's own engine on
/// the test split (tools/synthetic/generate.py): each clip decoded by the Video
/// module at the model's rate, embedded by the CLIP image tower, pooled by
/// meanP (mean of the frame embeddings) and by the TemporalAdapter (Mamba,
/// recurrent steps, read at the last frame); captions embedded with the
/// engine's prompt ensemble. Prints one key=value line per head.
struct SyntheticEval: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "synthetic",
    abstract: "Text→video R@1/R@5 and order-swap accuracy of the default model on the synthetic test split.")

  @Option(help: "Directory written by tools/synthetic/generate.py (manifest.json, test/).")
  var data: String

  @Option(help: "What CLIP computes in: fp32 (the figures quoted), int8 or auto.")
  var precision = "fp32"

  @Option(help: "Frames per second the model sees (the rate it was trained at).")
  var fps = 4.0

  @Option(help: "CLIP model directory. Default: the model embedded in monitor.")
  var model: String?

  @Option(help: "Trained temporal adapter for --model (safetensors).")
  var temporal: String?

  struct Manifest: Decodable {
    struct Clip: Decodable {
      var file: String
      var canonical: String
      var twin: String?
    }
    var test: [Clip]
  }

  func run() throws {
    let manifest = try JSONDecoder().decode(
      Manifest.self, from: try Data(contentsOf: URL(fileURLWithPath: data + "/manifest.json")))
    guard let precision = Configuration.ModelPrecision(rawValue: precision) else {
      throw ValidationError("--precision is fp32, int8 or auto")
    }
    let engine = try Engine(
      clipDirectory: model, temporalFile: temporal, precision: precision,
      log: { FileHandle.standardError.write(Data("\($0)\n".utf8)) })
    guard engine.adapter != nil else { throw ValidationError("the model has no temporal adapter (--temporal)") }
    var meanP: [[Float]] = []
    var mamba: [[Float]] = []
    for (index, clip) in manifest.test.enumerated() {
      let pooled = try engine.embedClip(url: data + "/" + clip.file, fps: fps)
      meanP.append(pooled.meanP)
      mamba.append(pooled.temporal!)
      if (index + 1) % 40 == 0 {
        FileHandle.standardError.write(Data("  \(index + 1)/\(manifest.test.count) clips\n".utf8))
      }
    }
    let captions = manifest.test.map { engine.text($0.canonical) }
    let twins = manifest.test.map { $0.twin.map { engine.text($0) } }
    for (name, videos) in [("meanP", meanP), ("mamba", mamba)] {
      let scores = ClipMetrics(videos: videos, captions: captions, twins: twins)
      print(
        "head=\(name) clips=\(videos.count) r1=\(String(format: "%.4f", scores.recallAt1))"
          + " r5=\(String(format: "%.4f", scores.recallAt5)) order_swap=\(String(format: "%.4f", scores.orderSwap))"
          + " order_clips=\(scores.orderClips)")
    }
  }
}

/// Retrieval and order metrics over L2-normalised clip and caption embeddings
/// (caption i belongs to clip i). R@k: the clip's rank among all clips for its
/// caption (ties in its favour). Order swap: for clips with a reversed twin
/// caption, whether the true caption scores higher.
struct ClipMetrics {
  var recallAt1 = 0.0
  var recallAt5 = 0.0
  var orderSwap = 0.0
  var orderClips = 0

  init(videos: [[Float]], captions: [[Float]], twins: [[Float]?]) {
    func dot(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
    var hits1 = 0
    var hits5 = 0
    var wins = 0
    for i in videos.indices {
      let own = dot(captions[i], videos[i])
      let better = videos.indices.filter { dot(captions[i], videos[$0]) > own }.count
      if better < 1 { hits1 += 1 }
      if better < 5 { hits5 += 1 }
      if let twin = twins[i] {
        orderClips += 1
        if dot(videos[i], captions[i]) > dot(videos[i], twin) { wins += 1 }
      }
    }
    recallAt1 = Double(hits1) / Double(max(videos.count, 1))
    recallAt5 = Double(hits5) / Double(max(videos.count, 1))
    orderSwap = Double(wins) / Double(max(orderClips, 1))
  }
}
