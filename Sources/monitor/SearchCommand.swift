import ArgumentParser
import Foundation
import MonitorKit

/// `monitor search`: when did the cameras see something, from their memory.
struct SearchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "search",
    abstract: "Search the cameras' memory of the past for a text (best match first).",
    discussion: """
      The daemon keeps a compressed memory of every camera ([memory] in the
      configuration): each block_seconds of footage (default 120) becomes at most
      entries_per_block entries (default 8), each the mean CLIP embedding of a
      stretch of similar frames, with its time span and a thumbnail of what the
      model saw. Search scores every entry against the text as a rule scores a
      frame (prompt templates, calibrated against background scenes: 0–1) and
      merges neighbouring entries at or above --threshold into spans of at most
      two blocks.

      With a retrospective re-ranker ([model] retrospective; the embedded model
      has its own) the runs of entries around the best ones are also read
      forwards and backwards by a bidirectional Mamba, which scores each entry
      and each change between two entries in context: actions ("a car drives
      away") are found as changes (FOUND "change", a span of a few seconds around
      it). The two rankings are fused by rank; each hit keeps its own score.

      Reads the history database in the configuration's state_dir directly and
      loads the configuration's model (entries made by another model are never
      compared). Under the shipped systemd unit the state directory is private
      to the service: run this as root (sudo monitor search ...).

      Times are UTC: 2026-11-28, 2026-11-28T06:00:00Z, seconds since 1970, or an
      age such as 30m, 12h or 7d (that long ago).

      Examples:
        monitor search "a red car" --since 24h
        monitor search "a person at the door" --camera porch --since 2026-11-28T06:00:00Z --until 2026-11-28T12:00:00Z
        monitor search "a parcel" --json --top 50 | jq -r .thumbnail
        monitor search "a car drives away" --since 7d
      """)

  @Argument(help: "What to look for, as a rule's text (\"a red car\").")
  var text: String

  @Option(help: "Configuration file (its state_dir holds the memory; its [model] scores it).")
  var config = "/etc/monitor/monitor.toml"

  @Option(help: "Only this camera.")
  var camera: String?

  @Option(help: "Only memory from this time on.")
  var since: String?

  @Option(help: "Only memory up to this time.")
  var until: String?

  @Option(help: "At most this many spans (1–1000).")
  var top = 10

  @Option(help: "Calibrated score (0–1) a memory entry needs to count as a match.")
  var threshold = 0.5

  @Option(help: "Directory the hits' thumbnails are written to (memory-<entry>.jpg).")
  var thumbnails = FileManager.default.temporaryDirectory.path + "/monitor-search"

  @Flag(help: "One JSON object per line (the objects GET /api/search lists).")
  var json = false

  func validate() throws {
    guard (1...1000).contains(top) else { throw ValidationError("--top must be 1…1000, got \(top)") }
    guard (0...1).contains(threshold) else { throw ValidationError("--threshold must be 0…1, got \(threshold)") }
    guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("the text is empty") }
  }

  func run() throws {
    let configuration = try Configuration.forCommand(config)
    var listing = SearchListing(text: text)
    listing.camera = camera
    listing.since = since
    listing.until = until
    listing.top = top
    listing.threshold = threshold
    listing.json = json
    listing.thumbnails = thumbnails
    let engine = try Failure.wrap {
      try Engine(
        clipDirectory: configuration.clipModel, temporalFile: configuration.temporalModel,
        retrospectiveFile: configuration.retrospectiveModel,
        precision: configuration.precision, log: { _ in })
    }
    for line in try Failure.wrap({ try listing.lines(configuration: configuration, engine: engine) }) { print(line) }
  }
}
