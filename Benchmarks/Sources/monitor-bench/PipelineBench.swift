import ArgumentParser
import CLIP
import Core
import Foundation
import ModelIO
import MonitorKit
import Rules
import Tensor

#if canImport(Glibc)
  import Glibc
#endif

/// The whole daemon in this process on live cameras: random-weight ViT-B/32,
/// rules that open and close episodes, MQTT to a real broker. Prints
/// throughput, drops, decode→score and decode→PUBACK latency, CPU and RSS
/// over the measured window (after a warm-up). Benchmarks/bench-pipeline starts
/// the RTSP cameras and the broker.
struct PipelineBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pipeline",
    abstract: "Run the daemon on live cameras with ViT-B/32 (random weights); one key=value line of figures.")

  @Option(name: .customLong("url"), help: "A camera URL (repeat for more cameras).")
  var urls: [String]

  @Option(help: "MQTT broker port on 127.0.0.1.")
  var brokerPort: Int

  @Option(help: "Frames per second to embed, per camera.")
  var fps = 2.0

  @Option(help: "Seconds of warm-up before measuring (connect, first batches).")
  var warmup = 20.0

  @Option(help: "Seconds to measure.")
  var seconds = 60.0

  @Option(help: "Seconds between progress lines (and stats intervals).")
  var every = 10.0

  @Option(help: "The video the cameras loop: rule thresholds are set from its scores so that episodes keep flowing.")
  var calibrate: String

  @Option(help: "The rules' episodes per hour at most (0: no cap, so events flow all run long).")
  var maxPerHour = 10

  @Option(help: "What CLIP's linear layers compute in: fp32 or int8.")
  var precision = "fp32"

  @Option(
    help: """
      Regions per camera (0–3): rules 2–4 watch regions r1–r3 (top left, top right, bottom half) instead of the \
      whole frame, which rule 1 keeps watching: each frame is then 1 + N pictures through CLIP.
      """)
  var regions = 0

  @Option(help: "The cameras' memory for search ([memory] enabled; the daemon's default is on): on or off.")
  var memory = "on"

  @Option(help: "Tokenizer directory (vocab.json, merges.txt).")
  var tokenizer = "Tests/Fixtures/clip/tokenizer"

  func run() throws {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("bench-pipeline-\(getpid())").path
    try FileManager.default.createDirectory(atPath: work + "/rules", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: work) }
    let configuration = try Configuration(toml: configurationText(work: work), file: "bench")
    guard (0...3).contains(regions) else { throw ValidationError("--regions is 0…3") }
    guard ["on", "off"].contains(memory) else { throw ValidationError("--memory is on or off") }
    guard let precision = Precision(rawValue: precision) else { throw ValidationError("--precision is fp32 or int8") }
    let clip = CLIPModel(
      random: .vitB32, vocabulary: try BPEVocabulary(directory: tokenizer), seed: 1, precision: precision)
    let engine = Engine(clip: clip, adapter: nil, modelName: "vit-b-32-random")
    try writeRules(in: work + "/rules", engine: engine)
    let daemon = try Daemon(configuration: configuration, engine: engine, sinks: []) { line in
      if !line.contains("rules reloaded") { FileHandle.standardError.write(Data(("  daemon: " + line + "\n").utf8)) }
    }
    daemon.start()
    Thread.sleep(forTimeInterval: warmup)
    _ = daemon.takeStats()  // the warm-up interval is not measured
    let start = (counters: daemon.counters, cpu: Self.cpuSeconds, rss: ResidentMemory.bytes(), time: Date())
    var latencies: [Double] = []
    var eventLatencies: [Double] = []
    while Date().timeIntervalSince(start.time) < seconds - 0.01 {
      Thread.sleep(forTimeInterval: min(every, seconds - Date().timeIntervalSince(start.time)))
      let stats = daemon.takeStats()
      for camera in stats.cameras { latencies += camera.latency.seconds }
      eventLatencies += stats.eventLatency.seconds
      let rate = Double(stats.cameras.map(\.latency.count).reduce(0, +)) / stats.interval
      FileHandle.standardError.write(
        Data(
          String(
            format: "  %4.0f s: %.1f embeds/s, p99 %.0f ms, %d events acked, RSS %.1f MiB\n",
            Date().timeIntervalSince(start.time), rate, (stats.cameras.flatMap(\.latency.seconds).max() ?? 0) * 1000,
            stats.eventLatency.count, Double(stats.residentBytes) / 1_048_576
          ).utf8))
    }
    let elapsed = Date().timeIntervalSince(start.time)
    let cpu = Self.cpuSeconds - start.cpu
    let rssEnd = ResidentMemory.bytes()
    let end = daemon.counters
    daemon.stop()
    let embedded = zip(end, start.counters).map { $0.embedded - $1.embedded }.reduce(0, +)
    // motion = false: every view in use is embedded at every frame.
    let images = Double(embedded * (1 + regions)) / elapsed
    let dropped = zip(end, start.counters).map { $0.dropped - $1.dropped }.reduce(0, +)
    func ms(_ p: Double, _ samples: [Double]) -> String {
      LatencySamples.percentile(p, of: samples).map { String(format: "%.0f", $0 * 1000) } ?? "n/a"
    }
    print(
      "cameras=\(urls.count) seconds=\(Int(elapsed.rounded())) embeds_per_s=\(String(format: "%.2f", Double(embedded) / elapsed))"
        + " regions=\(regions) images_per_s=\(String(format: "%.2f", images))"
        + " dropped=\(dropped) drop_rate=\(String(format: "%.4f", Double(dropped) / Double(max(1, embedded + dropped))))"
        + " latency_p50_ms=\(ms(50, latencies)) latency_p99_ms=\(ms(99, latencies)) events=\(eventLatencies.count)"
        + " event_p50_ms=\(ms(50, eventLatencies)) event_p99_ms=\(ms(99, eventLatencies))"
        + " cpu_percent=\(String(format: "%.0f", cpu / elapsed * 100))"
        + " rss_start_mib=\(String(format: "%.1f", Double(start.rss) / 1_048_576))"
        + " rss_end_mib=\(String(format: "%.1f", Double(rssEnd) / 1_048_576))")
  }

  private func configurationText(work: String) -> String {
    var lines = [
      "node = \"bench\"", "rules_dir = \"\(work)/rules\"", "state_dir = \"\(work)\"", "[mqtt]", "host = \"127.0.0.1\"",
      "port = \(brokerPort)", "[memory]", "enabled = \(memory == "on")",
    ]
    for (index, url) in urls.enumerated() {
      // motion = false: every sampled frame is embedded, the worst case.
      lines += ["[[cameras]]", "name = \"cam\(index + 1)\"", "url = \"\(url)\"", "fps = \(fps)", "motion = false"]
      for region in Self.regionBoxes.prefix(regions) {
        lines += ["[[cameras.regions]]", "name = \"\(region.name)\"", "box = \(region.box)"]
      }
    }
    return lines.joined(separator: "\n")
  }

  static let regionBoxes = [
    (name: "r1", box: "[0, 0, 0.5, 0.5]"), (name: "r2", box: "[0.5, 0, 1, 0.5]"), (name: "r3", box: "[0, 0.5, 1, 1]"),
  ]

  /// The rules' `regions` lines: rule N + 2 watches region N + 1 when there is one.
  private func regionLine(rule index: Int) -> String {
    index >= 1 && index <= regions ? "\nregions = [\"r\(index)\"]" : ""
  }

  /// Four rules without minimum duration or cooldown, each with its threshold
  /// at a quantile of its own scores on the looped video (random weights give
  /// arbitrary score levels), so episodes keep opening and closing and events
  /// flow to the broker all run long.
  private func writeRules(in directory: String, engine: Engine) throws {
    let phrasings = ["a person falling down", "a car in the driveway", "a package at the door", "smoke or fire"]
    let rules = try phrasings.enumerated().map { index, phrase in
      try Rule(
        toml: "id = \"rule-\(index + 1)\"\ntext = [\"\(phrase)\"]\nnegatives = [\"an empty room\"]"
          + regionLine(rule: index), file: "bench")
    }
    var replay = Replay()
    replay.fps = fps
    replay.regions = try Self.regionBoxes.prefix(regions).map { region throws(ConfigError) in
      try Configuration.Camera.Region(parsing: region.name + "=" + region.box.dropFirst().dropLast())
    }
    let steps = try replay.run(url: calibrate, rules: rules, engine: engine).steps
    for (index, quantile) in [30.0, 50, 70, 90].enumerated() {
      let scores = steps.map { $0.scores[index] }
      let threshold = min(max(LatencySamples.percentile(quantile, of: scores) ?? 0.5, 1e-6), 1 - 1e-6)
      let text = """
        id = "rule-\(index + 1)"
        text = ["\(phrasings[index])"]
        negatives = ["an empty room"]
        threshold = \(threshold)
        min_duration = 0
        cooldown = 0
        max_per_hour = \(maxPerHour)\(regionLine(rule: index))
        """
      try text.write(toFile: "\(directory)/rule-\(index + 1).toml", atomically: true, encoding: .utf8)
    }
  }

  /// User + system CPU seconds of this process so far.
  static var cpuSeconds: Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
  }
}
