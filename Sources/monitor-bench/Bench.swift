import ArgumentParser

/// `monitor-bench`: the Swift side of the benchmark scripts in `scripts/bench-*`,
/// which run it next to a peer (ffmpeg, ONNX Runtime, ...) in the same run.
/// Build with `-c release`: debug numbers mean nothing.
struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "monitor-bench",
    abstract: "Measure monitor's engines; run through scripts/bench-* to compare with peers.",
    subcommands: [VideoBench.self, MambaBench.self, CLIPBench.self, PipelineBench.self, SyntheticEval.self])
}
