import ArgumentParser
import Foundation
import MonitorKit

/// `monitor events`: what happened, from the event history.
struct EventsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "events",
    abstract: "List the episodes in the event history (newest first).",
    discussion: """
      Reads the history database in the configuration's state_dir
      (state_dir/history/history.sqlite) directly; a running daemon keeps
      writing meanwhile. Under the shipped systemd unit the state directory is
      private to the service: run this as root (sudo monitor events).

      Times are UTC: 2026-11-28, 2026-11-28T06:00:00Z, seconds since 1970, or
      an age such as 30m, 12h or 7d (that long ago).

      Examples:
        monitor events --since 12h
        monitor events --camera driveway --rule parcel-taken --since 2026-11-01 --until 2026-11-08
        monitor events --json --limit 1000 | jq -r 'select(.state == "open") | .id'
      """)

  @Option(help: "Configuration file (its state_dir holds the history).")
  var config = "/etc/monitor/monitor.toml"

  @Option(help: "Only this camera.")
  var camera: String?

  @Option(help: "Only this rule (its id).")
  var rule: String?

  @Option(help: "Only episodes open at or ending after this time.")
  var since: String?

  @Option(help: "Only episodes started at or before this time.")
  var until: String?

  @Option(help: "At most this many episodes (1–1000).")
  var limit = 50

  @Flag(help: "One JSON object per line (the objects GET /api/events lists).")
  var json = false

  func validate() throws {
    guard (1...1000).contains(limit) else { throw ValidationError("--limit must be 1…1000, got \(limit)") }
  }

  func run() throws {
    var listing = EventListing()
    listing.camera = camera
    listing.rule = rule
    listing.since = since
    listing.until = until
    listing.limit = limit
    listing.json = json
    let configuration = try Configuration.forCommand(config)
    for line in try Failure.wrap({ try listing.lines(configuration: configuration) }) { print(line) }
  }
}

extension Configuration {
  /// The configuration a command names: the file, or the defaults when the
  /// default path is absent (a box set up by hand); any other missing file is an error.
  static func forCommand(_ path: String) throws -> Configuration {
    try Failure.wrap {
      FileManager.default.fileExists(atPath: path) || path != "/etc/monitor/monitor.toml"
        ? try Configuration(contentsOf: path) : Configuration()
    }
  }
}
