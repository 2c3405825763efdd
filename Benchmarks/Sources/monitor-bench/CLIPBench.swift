import ArgumentParser
import CLIP
import Core
import Foundation
import ModelIO
import Tensor

/// ms per image of the ViT-B/32 image tower (random weights made in-process)
/// at several batch sizes and thread counts, ms per text, and peak RSS.
struct CLIPBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "clip",
    abstract: "Time the CLIP ViT-B/32 towers (random weights); one key=value line per configuration.")

  @Option(parsing: .upToNextOption, help: "Batch sizes.")
  var batches: [Int] = [1, 4, 8]

  @Option(parsing: .upToNextOption, help: "OpenBLAS thread counts.")
  var threads: [Int] = [1, 2]

  @Option(help: "Images per measurement (rounded up to whole batches); the best of three measurements is reported.")
  var images = 24

  func run() throws {
    let config = CLIPConfig.vitB32
    var encoder = ImageEncoder(random: config, seed: 1)
    var rng = SplitMix64(seed: 5)
    let frames = (0..<8).map { i in
      Frame(
        pts: Double(i), width: 224, height: 224, pixels: (0..<(224 * 224 * 3)).map { _ in UInt8(rng.next() & 0xFF) },
        sourceWidth: 224, sourceHeight: 224)
    }
    for threadCount in threads {
      Parallelism.threads = threadCount
      for batch in batches {
        let inputs = (0..<batch).map { frames[$0 % frames.count] }
        _ = encoder.encode(inputs)  // warm-up: buffers sized, caches warm
        // Best of three measurements, as the peers: this machine's neighbours add noise.
        let rounds = max(1, (images + batch - 1) / batch)
        var ms = Double.infinity
        for _ in 0..<3 {
          let started = DispatchTime.now().uptimeNanoseconds
          for _ in 0..<rounds { _ = encoder.encode(inputs) }
          ms = min(ms, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6 / Double(rounds * batch))
        }
        print("tower=image threads=\(threadCount) batch=\(batch) ms_per_image=\(String(format: "%.2f", ms))")
      }
    }
    var text = TextEncoder(random: config, seed: 2)
    let ids: [Int32] = [49406] + (0..<10).map { Int32(320 + $0) } + [49407] + [Int32](repeating: 49407, count: 65)
    for threadCount in threads {
      Parallelism.threads = threadCount
      _ = text.encode(ids: ids)
      let started = DispatchTime.now().uptimeNanoseconds
      for _ in 0..<10 { _ = text.encode(ids: ids) }
      let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6 / 10
      print("tower=text threads=\(threadCount) tokens=12 ms_per_text=\(String(format: "%.2f", ms))")
    }
    print("peak_rss_mib=\(String(format: "%.1f", PeakMemory.mebibytes))")
  }
}

/// VmHWM from /proc/self/status: the peak resident set.
enum PeakMemory {
  static var mebibytes: Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
    else { return 0 }
    let kib = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    return kib / 1024
  }
}
