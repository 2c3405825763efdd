import Core
import Foundation
import History
import MonitorKit
import TestSupport
import Testing

/// `monitor events`: times as operators write them, the table and JSON lines, and one-line refusals.
@Suite struct EventListingTests {
  @Test func timesAsOperatorsWriteThem() throws {
    let now = 1_800_000_000.0
    #expect(try WallTime.parse("30m", now: now, option: "--since") == now - 1_800)
    #expect(try WallTime.parse("7d", now: now, option: "--since") == now - 7 * 86_400)
    #expect(try WallTime.parse("1764316800", now: now, option: "--since") == 1_764_316_800)
    #expect(try WallTime.parse("1764316800.25", now: now, option: "--since") == 1_764_316_800.25)
    #expect(throws: ConfigError.self) { try WallTime.parse("1.2.3", now: now, option: "--since") }
    #expect(try WallTime.parse("2025-11-28", now: now, option: "--since") == 1_764_288_000)
    #expect(try WallTime.parse("2025-11-28T06:00:00Z", now: now, option: "--since") == 1_764_309_600)
    #expect(try WallTime.parse("2025-11-28T07:00:00+01:00", now: now, option: "--since") == 1_764_309_600)
    #expect(throws: ConfigError.self) { try WallTime.parse("yesterday", now: now, option: "--since") }
    do {
      _ = try WallTime.parse("-3h", now: now, option: "--until")
      Issue.record("accepted -3h")
    } catch {
      #expect("\(error)".hasPrefix("--until: '-3h' is not a time: use 2026-11-28"))
    }
  }

  @Test func listsTheHistoryOfAStateDirectory() throws {
    let state = try Repository.temporaryDirectory("listing")
    var configuration = Configuration()
    configuration.stateDirectory = state.path
    var listing = EventListing()
    #expect(throws: (any Error).self) { try listing.lines(configuration: configuration) }
    let history = try EventHistory(directory: configuration.historyDirectory)
    for (index, camera) in ["hall", "yard"].enumerated() {
      let event = AlertEvent(
        kind: .new, id: "0a1b2c3d-4e5f-4a6b-8c7d-00000000000\(index)", camera: camera, rule: "falls",
        label: "a person falls", score: 0.8, topScore: 0.8, threshold: 0.6, startTime: 1, endTime: nil,
        frameTime: 1, snapshot: nil, model: "m")
      try history.record(event, snapshot: nil, at: 1_800_000_000 + Double(index) * 60)
    }
    listing.camera = "yard"
    let table = try listing.lines(configuration: configuration)
    #expect(table.count == 2 && table[0].hasPrefix("STARTED (UTC)"))
    #expect(table[1].hasPrefix("2027-01-15 08:01:00  open") && table[1].contains("yard"), "\(table)")
    listing.camera = nil
    listing.json = true
    listing.since = "2027-01-15T08:00:30Z"
    let lines = try listing.lines(configuration: configuration, now: 1_800_000_100)
    #expect(lines.count == 2, "open episodes are current at any since")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
    #expect(object["camera"] as? String == "yard" && object["state"] as? String == "open")
    #expect(object["started_at"] as? String == "2027-01-15T08:01:00.000Z")
  }
}
