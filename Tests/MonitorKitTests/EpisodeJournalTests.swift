import Alerts
import Core
import Foundation
import History
import MonitorKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// M7: an episode open when the daemon was SIGKILLed was never ended, and its
/// retained state stayed ON until the rule fired again.
@Suite struct EpisodeJournalTests {
  static func event(_ kind: AlertEvent.Kind, id: String, time: Double) -> AlertEvent {
    AlertEvent(
      kind: kind, id: id, camera: "hall", rule: "falls", label: "a person falls", score: 0.8, topScore: 0.8,
      threshold: 0.6, startTime: 1, endTime: kind == .end ? time : nil, frameTime: time, snapshot: nil, model: "m")
  }

  @Test func m7OpenEpisodesAreEndedAtTheNextStart() throws {
    let directory = try Repository.temporaryDirectory("journal").appendingPathComponent("episodes").path
    let journal = try EpisodeJournal(directory: directory, log: { _ in })
    let open = "6f1c2a7e-0b1d-4c3e-9f00-1234567890ab"
    let closed = "0a1b2c3d-4e5f-4a6b-8c7d-1234567890ab"
    journal.opened(Self.event(.new, id: open, time: 2))
    journal.opened(Self.event(.update, id: open, time: 3))
    journal.opened(Self.event(.new, id: closed, time: 2))
    journal.closed(Self.event(.end, id: closed, time: 4))
    try Data("garbage".utf8).write(to: URL(fileURLWithPath: directory + "/x.json"))
    let log = Recorder<String>()
    let ends = try EpisodeJournal(directory: directory, log: { log.append($0) }).leftOpen()
    #expect(ends.count == 1)
    #expect(ends.first?.id == open && ends.first?.kind == .end && ends.first?.reason == .restart)
    #expect(ends.first?.endTime == 3 && ends.first?.camera == "hall")
    #expect(String(decoding: Payloads.event(ends[0]), as: UTF8.self).contains("\"reason\":\"restart\""))
    #expect(log.all == ["episode journal: \(directory)/x.json is damaged; moved aside as .bad"])
  }

  /// A transition rule's episode names when `before` held: in the payload
  /// (valid against the schema) and in the `end` a restart sends.
  @Test func transitionEpisodesKeepWhenBeforeHeld() throws {
    let folder = try Repository.temporaryDirectory("journal")
    let journal = try EpisodeJournal(directory: folder.appendingPathComponent("episodes").path, log: { _ in })
    var event = Self.event(.new, id: "6f1c2a7e-0b1d-4c3e-9f00-1234567890ab", time: 2)
    event.beforeTime = 0.5
    journal.opened(event)
    let end = try #require(journal.leftOpen().first)
    #expect(end.beforeTime == 0.5)
    let payloads = [event, end, Self.event(.new, id: "0a1b2c3d-4e5f-4a6b-8c7d-1234567890ab", time: 2)].map {
      String(decoding: Payloads.event($0), as: UTF8.self)
    }
    #expect(payloads[0].contains("\"before_time\":0.5") && !payloads[2].contains("before_time"))
    try SchemaValidation.expectValid(payloads, against: "event", in: folder)
  }

  /// The daemon through the real binary: SIGKILL while an episode is open,
  /// then start again: the episode gets its `end` (reason restart).
  @Test(.timeLimit(.minutes(2))) func m7SIGKILLDuringAnEpisodeEndsItAtRestart() throws {
    let directory = try Repository.temporaryDirectory("journal-daemon")
    let config = try DaemonConfig.demo(in: directory, loop: true)
    let events = directory.appendingPathComponent("events.jsonl").path
    func lines() -> [[String: Any]] {
      ((try? String(contentsOfFile: events, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
      }
    }
    func openEpisodes() -> Set<String> {
      var open: Set<String> = []
      for event in lines() {
        let id = event["id"] as? String ?? ""
        if event["type"] as? String == "new" { open.insert(id) }
        if event["type"] as? String == "end" { open.remove(id) }
      }
      return open
    }
    let first = try ChildProcess(try Executables.path("monitor"), ["run", "--config", config, "--events-file", events])
    #expect(waitUntil(timeout: 60) { !openEpisodes().isEmpty }, "\(first.log)")
    first.kill()  // SIGKILL: no chance to end anything
    first.process.waitUntilExit()
    let killedOpen = openEpisodes()
    #expect(!killedOpen.isEmpty)
    let second = try ChildProcess(
      try Executables.path("monitor"), ["run", "--config", config, "--events-file", events, "--seconds", "2"])
    second.process.waitUntilExit()
    let restartEnds = lines().filter { $0["reason"] as? String == "restart" }.compactMap { $0["id"] as? String }
    #expect(Set(restartEnds) == killedOpen, "\(second.log)")
    #expect(second.log.contains("ending \(killedOpen.count) episode(s) the previous run left open"))
    let journal = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/episodes")
    #expect(journal.filter { $0.hasSuffix(".json") }.isEmpty)
    // The event history (WAL) survived the SIGKILL whole, and recorded the restart's ends.
    let history = try EventHistory(directory: directory.path + "/history", readOnly: true)
    #expect(try history.integrityCheck() == "ok")
    for id in killedOpen {
      let episode = try history.event(id: id)
      #expect(episode?.state == .ended && episode?.endReason == "restart", "\(id)")
    }
    let listed = try ChildProcess(try Executables.path("monitor"), ["events", "--config", config, "--json"])
    listed.process.waitUntilExit()
    #expect(listed.process.terminationStatus == 0)
    #expect(killedOpen.allSatisfy { listed.log.contains("\"id\":\"\($0)\"") }, "\(listed.log)")
    try SchemaValidation.expectValid(file: listed.logURL.path, against: "history-episode")
  }
}
