import ArgumentParser
import Foundation
import MonitorKit

/// `monitor memory`: what the cameras' memory holds, and forgetting part of it.
struct MemoryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "memory",
    abstract: "Show what the cameras' memory holds (per camera), or purge part of it.",
    discussion: """
      The memory lives in the event history's database (state_dir/history/history.sqlite).
      Without --purge: per camera, its entries, bytes, hours of footage covered,
      bytes per camera-hour and the oldest entry. With --purge: deletes the entries
      of --camera (or of every camera with --all cameras) overlapping --since…--until
      (either may be left out), while the daemon runs.

      Examples:
        monitor memory
        monitor memory --purge --camera porch --since 2026-11-28T06:00:00Z --until 2026-11-28T07:00:00Z
        monitor memory --purge --all-cameras --until 30d
      """)

  @Option(help: "Configuration file (its state_dir holds the memory).")
  var config = "/etc/monitor/monitor.toml"

  @Flag(help: "Delete entries (of --camera or --all-cameras, within --since/--until).")
  var purge = false

  @Option(help: "With --purge: only this camera.")
  var camera: String?

  @Flag(help: "With --purge: every camera.")
  var allCameras = false

  @Option(help: "With --purge: only entries overlapping this time or later.")
  var since: String?

  @Option(help: "With --purge: only entries overlapping this time or earlier.")
  var until: String?

  func validate() throws {
    if purge && (camera == nil) == !allCameras {
      throw ValidationError("--purge needs exactly one of --camera NAME or --all-cameras")
    }
    if !purge && (camera != nil || allCameras || since != nil || until != nil) {
      throw ValidationError("--camera, --all-cameras, --since and --until go with --purge")
    }
  }

  func run() throws {
    let configuration = try Configuration.forCommand(config)
    var tool = MemoryTool()
    if purge {
      tool.camera = camera
      tool.since = since
      tool.until = until
      print(try Failure.wrap { try tool.purge(configuration: configuration) })
    } else {
      for line in try Failure.wrap({ try tool.usage(configuration: configuration) }) { print(line) }
    }
  }
}
