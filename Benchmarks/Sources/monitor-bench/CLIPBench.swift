import ArgumentParser
import CLIP
import CPeak
import Core
import Foundation
import ModelIO
import Rules
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

  @Option(
    help: "What the linear layers compute in: fp32, int8 or bf16 (one per run, so peak RSS is this precision's).")
  var precision = "fp32"

  @Option(help: "int8 only: the kernel to run (portable, avx2, avx512VNNI, amx); default: the best this CPU runs.")
  var int8Kernel: String?

  @Option(help: "bf16 only: the kernel to run (portable, avx512, amx); default: the best this CPU runs.")
  var bf16Kernel: String?

  @Option(help: "Images per measurement (rounded up to whole batches); the best of three measurements is reported.")
  var images = 24

  func run() throws {
    guard let precision = Precision(rawValue: precision) else {
      throw ValidationError("--precision is fp32, int8 or bf16")
    }
    if let int8Kernel {
      guard let kernel = QuantizedLinear.Variant.allCases.first(where: { "\($0)" == int8Kernel }),
        QuantizedLinear.force(kernel)
      else { throw ValidationError("--int8-kernel: this CPU does not run '\(int8Kernel)'") }
    }
    if let bf16Kernel {
      guard let kernel = BFloat16Linear.Variant.allCases.first(where: { "\($0)" == bf16Kernel }),
        BFloat16Linear.force(kernel)
      else { throw ValidationError("--bf16-kernel: this CPU does not run '\(bf16Kernel)'") }
    }
    let config = CLIPConfig.vitB32
    var encoder = ImageEncoder(random: config, seed: 1, precision: precision)
    var rng = SplitMix64(seed: 5)
    let frames = (0..<8).map { i in
      Frame(
        pts: Double(i), width: 224, height: 224, pixels: (0..<(224 * 224 * 3)).map { _ in UInt8(rng.next() & 0xFF) },
        sourceWidth: 224, sourceHeight: 224)
    }
    // The yardstick: this core's peak multiply-accumulate rate with the instruction the kernel
    // of this precision runs here (the AVX-512 one where the CPU has it, as the kernels choose).
    let peak: Double =
      switch precision {
      case .fp32: max(cpeak_fma512_macs_per_second(), cpeak_fma_macs_per_second())
      case .int8:
        switch QuantizedLinear.variant {
        case .amx: cpeak_amx_int8_macs_per_second()
        case .avx512VNNI: cpeak_int8_vnni_macs_per_second()
        default: cpeak_int8_avx2_macs_per_second()
        }
      case .bf16: BFloat16Linear.variant == .amx ? cpeak_amx_bf16_macs_per_second() : cpeak_bf16_macs_per_second()
      }
    print(
      String(
        format: "precision=%@ peak_gmacs_per_core=%.1f image_gmacs=%.3f", precision.rawValue, peak / 1e9,
        Self.imageMACs(config) / 1e9))
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
        let share = peak > 0 ? Self.imageMACs(config) / (ms / 1000) / (peak * Double(threadCount)) : 0
        print(
          "tower=image precision=\(precision) threads=\(threadCount) batch=\(batch) ms_per_image=\(String(format: "%.2f", ms))"
            + " share_of_peak=\(String(format: "%.2f", share))")
      }
    }
    var text = TextEncoder(random: config, seed: 2, precision: precision)
    let ids: [Int32] = [49406] + (0..<10).map { Int32(320 + $0) } + [49407] + [Int32](repeating: 49407, count: 65)
    for threadCount in threads {
      Parallelism.threads = threadCount
      _ = text.encode(ids: ids)
      let started = DispatchTime.now().uptimeNanoseconds
      for _ in 0..<10 { _ = text.encode(ids: ids) }
      let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6 / 10
      print(
        "tower=text precision=\(precision) threads=\(threadCount) tokens=12 ms_per_text=\(String(format: "%.2f", ms))")
    }
    print("precision=\(precision) peak_rss_mib=\(String(format: "%.1f", PeakMemory.mebibytes))")
    // After the peak is read: this builds a second model of its own.
    try measureRulePrompts(config: config, precision: precision)
  }
}

extension CLIPBench {
  /// The example rules (rules/) and the background scenes in every prompt
  /// template, as the engine embeds them when the rules load (cold: nothing
  /// cached), on one thread: per phrase (a batch of its templates, as the
  /// engine does) and all in one batch.
  func measureRulePrompts(config: CLIPConfig, precision: Precision) throws {
    let folder = "rules"
    let rules = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".toml") }.sorted()
      .map { try Rule(toml: try String(contentsOfFile: folder + "/" + $0, encoding: .utf8), file: $0) }
    let phrases = rules.flatMap { $0.text + $0.negatives + $0.before } + Prompts.backgrounds
    let vocabulary = try BPEVocabulary(directory: "Tests/Fixtures/clip/tokenizer")
    var model = CLIPModel(random: config, vocabulary: vocabulary, seed: 3, precision: precision)
    Parallelism.threads = 1
    var best = (perPhrase: Double.infinity, oneBatch: Double.infinity)
    for _ in 0..<3 {
      var started = DispatchTime.now().uptimeNanoseconds
      for phrase in phrases { _ = model.embed(texts: Prompts.expand(phrase)) }
      best.perPhrase = min(best.perPhrase, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
      started = DispatchTime.now().uptimeNanoseconds
      _ = model.embed(texts: phrases.flatMap { Prompts.expand($0) })
      best.oneBatch = min(best.oneBatch, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
    }
    print(
      "rule_prompts precision=\(precision) rules=\(rules.count) prompts=\(phrases.count * Prompts.templates.count)"
        + " threads=1 ms_per_phrase_batches=\(String(format: "%.0f", best.perPhrase))"
        + " ms_one_batch=\(String(format: "%.0f", best.oneBatch))")
  }

  /// Multiply-accumulates of one image through the vision tower: patch
  /// embedding, per layer q|k|v, attention, out_proj, fc1, fc2, and the projection.
  static func imageMACs(_ config: CLIPConfig) -> Double {
    let (h, i) = (Double(config.vision.hiddenSize), Double(config.vision.intermediateSize))
    let patches = Double(config.patchesPerSide * config.patchesPerSide)
    let tokens = patches + 1
    let patch = Double(3 * config.patchSize * config.patchSize)
    let layer = tokens * (3 * h * h + h * h + 2 * h * i) + 2 * tokens * tokens * h
    return patches * patch * h + Double(config.vision.layers) * layer + h * Double(config.projectionDim)
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
