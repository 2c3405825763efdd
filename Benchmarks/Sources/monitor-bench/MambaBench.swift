import ArgumentParser
import Core
import Foundation
import Mamba
import Tensor

/// Per-step time and memory of the recurrent Mamba block, next to a causal
/// Transformer layer of the same width with a KV cache, in the same run.
struct MambaBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mamba",
    abstract: "µs per recurrent Mamba step, RSS over a million steps, and a KV-cache Transformer layer for comparison.")

  @Option(help: "Steps for the long run (RSS and time at the end).")
  var longSteps = 1_000_000

  @Option(help: "Threads (the step is too small to split; this pins OpenBLAS).")
  var threads = 1

  func run() throws {
    Parallelism.threads = threads
    print("Mamba recurrent step (d_state 16, d_conv 4), \(threads) thread(s), random weights")
    print(row("configuration", "µs/step", "state bytes"))
    for (width, expand) in [(512, 1), (512, 2), (768, 1), (768, 2)] {
      var block = MambaBlock(weights: MambaWeights(random: MambaConfig(dModel: width, expand: expand), seed: 1))
      var state = MambaState(config: block.config)
      _ = timeSteps(&block, &state, count: 200)  // warm the caches
      let micros = timeSteps(&block, &state, count: 2000)
      print(row("d_model \(width), expand \(expand)", format(micros), "\(state.byteCount)"))
    }

    print("\nConstant memory and time: d_model 512, expand 1, \(longSteps) steps")
    var block = MambaBlock(weights: MambaWeights(random: MambaConfig(dModel: 512, expand: 1), seed: 2))
    var state = MambaState(config: block.config)
    _ = timeSteps(&block, &state, count: 10)
    let early = timeSteps(&block, &state, count: 990)
    let rssAt1k = ResidentMemory.bytes()
    let progressEvery = max(longSteps / 10, 1)
    var done = 1000
    while done < longSteps {
      let chunk = min(progressEvery, longSteps - done)
      _ = timeSteps(&block, &state, count: chunk)
      done += chunk
      FileHandle.standardError.write(Data("  \(done) steps…\n".utf8))
    }
    let late = timeSteps(&block, &state, count: 1000)
    let rssAtEnd = ResidentMemory.bytes()
    print(row("µs/step, steps 11–1000", format(early), ""))
    print(row("µs/step, 1000 steps after \(longSteps)", format(late), ""))
    print(row("RSS after 10³ steps", mib(rssAt1k), ""))
    print(row("RSS after \(longSteps) steps", mib(rssAtEnd), ""))
    print(row("RSS difference", String(format: "%.3f MiB", Double(rssAtEnd - rssAt1k) / 1_048_576), ""))

    print("\nPer-frame step vs history, d_model 512 (Mamba expand 1 vs causal Transformer layer with KV cache)")
    print(row("history (frames)", "Mamba µs", "Transformer µs", "ratio", "KV cache"))
    var mamba = MambaBlock(weights: MambaWeights(random: MambaConfig(dModel: 512, expand: 1), seed: 3))
    var mambaState = MambaState(config: mamba.config)
    _ = timeSteps(&mamba, &mambaState, count: 200)
    for history in [100, 1_000, 10_000] {
      var layer = KVCacheTransformer(width: 512, capacity: history + 400, seed: 4)
      layer.prefill(history)
      let transformer = timeTransformer(&layer, count: 200)
      let recurrent = timeSteps(&mamba, &mambaState, count: 1000)
      print(
        row(
          "\(history)", format(recurrent), format(transformer), String(format: "%.1fx", transformer / recurrent),
          mib(layer.cacheBytes)))
    }
  }

  private func timeSteps(_ block: inout MambaBlock, _ state: inout MambaState, count: Int) -> Double {
    var x = [Float](repeating: 0.1, count: block.config.dModel)
    var y = [Float](repeating: 0, count: block.config.dModel)
    let started = DispatchTime.now().uptimeNanoseconds
    for i in 0..<count {
      x[i % x.count] = Float(i % 7) * 0.01
      block.step(x, state: &state, into: &y)
    }
    return Double(DispatchTime.now().uptimeNanoseconds - started) / 1000 / Double(count)
  }

  private func timeTransformer(_ layer: inout KVCacheTransformer, count: Int) -> Double {
    var x = [Float](repeating: 0.1, count: layer.width)
    let started = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<count { layer.step(&x) }
    return Double(DispatchTime.now().uptimeNanoseconds - started) / 1000 / Double(count)
  }

  private func format(_ micros: Double) -> String { String(format: "%.1f", micros) }
  private func mib(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
  private func row(_ columns: String...) -> String {
    columns.enumerated().map {
      $0.offset == 0 ? $0.element.padding(toLength: 40, withPad: " ", startingAt: 0) : $0.element.leftPadded(16)
    }
    .joined()
  }
}

extension String {
  func leftPadded(_ width: Int) -> String {
    count >= width ? " " + self : String(repeating: " ", count: width - count) + self
  }
}
