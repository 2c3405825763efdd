import ArgumentParser

/// `monitor-bench`: the Swift side of the benchmark scripts in `Benchmarks/bench-*`,
/// which run it next to a peer (ffmpeg, ONNX Runtime, ...) in the same run.
/// Build with `-c release`: debug numbers mean nothing.
struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "monitor-bench",
    abstract: "Measure monitor's engines; run through Benchmarks/bench-* to compare with peers.",
    subcommands: [
      VideoBench.self, MambaBench.self, CLIPBench.self, PipelineBench.self, SyntheticEval.self, TransitionEval.self,
      MemoryEval.self, MemoryLatency.self,
      AdapterTrace.self,
    ])
}
