import Foundation
import TestSupport
import Testing

/// The HTTP API of the real binary on the demo video, asked with curl.
@Suite(.serialized) struct HTTPAPIDaemonTests {
  /// The demo configuration with `[http]` added.
  static func config(in directory: URL, http: String) throws -> String {
    let path = try DaemonConfig.demo(in: directory, loop: true)
    try (try String(contentsOfFile: path, encoding: .utf8) + "\n[http]\nenabled = true\n" + http + "\n")
      .write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// A copy of `config` whose state_dir holds no history: `monitor events` must go through the API.
  static func withoutItsHistory(_ config: String, stateDirectory: URL) throws -> String {
    let elsewhere = try Repository.temporaryDirectory("api-no-history")
    let path = elsewhere.appendingPathComponent("monitor.toml").path
    try (try String(contentsOfFile: config, encoding: .utf8))
      .replacingOccurrences(
        of: "state_dir = \"\(stateDirectory.path)\"", with: "state_dir = \"\(elsewhere.path)/none\""
      )
      .write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  static func object(_ body: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
  }

  /// The value of one sample in Prometheus text (`name{labels} value`).
  static func sample(_ text: String, _ series: String) -> Double? {
    text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
  }

  @Test(.timeLimit(.minutes(3))) func aRunningDaemonServesHealthMetricsAndItsHistory() throws {
    let directory = try Repository.temporaryDirectory("api-daemon")
    let port = Network.freePort()
    let config = try Self.config(in: directory, http: "listen = \"127.0.0.1:\(port)\"")
    let daemon = try ChildProcess(try Executables.path("monitor"), ["run", "--config", config])
    defer { daemon.kill() }
    try daemon.waitForOutput("http: API listening on 127.0.0.1:\(port)", timeout: 60)
    let base = "http://127.0.0.1:\(port)"
    var events: [[String: Any]] = []
    #expect(
      waitUntil(timeout: 90) {
        events = (Self.object((try? Curl.get(base + "/api/events"))?.body ?? "")["events"] as? [[String: Any]]) ?? []
        return events.contains { $0["has_snapshot"] as? Bool == true }
      }, "\(daemon.log)")

    let health = try Curl.get(base + "/api/health")
    let status = Self.object(health.body)
    #expect(health.status == 200 && status["status"] as? String == "ok", "\(health.body)")
    #expect((status["cameras"] as? [[String: Any]])?.first?["connected"] as? Bool == true)

    // The answers keep their published shapes (schemas/).
    try SchemaValidation.expectValid([health.body], against: "api-health", in: directory)
    try SchemaValidation.expectValid(
      events.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) },
      against: "history-episode", in: directory)

    let metrics = try Curl.get(base + "/metrics").body
    #expect((Self.sample(metrics, "monitor_frames_embedded_total{camera=\"demo\"}") ?? 0) > 0, "\(metrics)")
    #expect((Self.sample(metrics, "monitor_frames_decoded_total{camera=\"demo\"}") ?? 0) > 0)
    #expect((Self.sample(metrics, "monitor_frame_latency_seconds_count{camera=\"demo\"}") ?? 0) > 0)
    #expect(Self.sample(metrics, "monitor_camera_connected{camera=\"demo\"}") == 1)
    let rules = Set(events.compactMap { $0["rule"] as? String })
    for rule in rules {
      #expect((Self.sample(metrics, "monitor_episodes_total{camera=\"demo\",rule=\"\(rule)\"}") ?? 0) >= 1, "\(rule)")
    }

    let id = try #require(events.first { $0["has_snapshot"] as? Bool == true }?["id"] as? String)
    let one = try Curl.get(base + "/api/events/\(id)")
    #expect(one.status == 200 && Self.object(one.body)["id"] as? String == id)
    let jpeg = directory.appendingPathComponent("snapshot.jpg").path
    #expect(try Curl.get(base + "/api/events/\(id)/snapshot.jpg", ["-o", jpeg]).status == 200)
    #expect(Array(try Data(contentsOf: URL(fileURLWithPath: jpeg)).prefix(2)) == [0xFF, 0xD8])
    #expect(try Curl.get(base + "/api/events/..%2F..%2Fmonitor.toml").status == 400)

    // Issue 20: an operator's word that the episode was a false alarm: its best
    // frame and the rolling embeddings it was scored on join its rule.
    let rule = try #require(events.first { $0["id"] as? String == id }?["rule"] as? String)
    let feedback = try Curl.get(base + "/api/events/\(id)/false_alarm", ["-X", "POST"])
    #expect(feedback.status == 200 && Self.object(feedback.body)["rule"] as? String == rule, "\(feedback.body)")
    let picture = directory.path + "/false-alarms/\(rule)/\(id)"
    #expect(FileManager.default.fileExists(atPath: picture + ".jpg"))
    #expect(FileManager.default.fileExists(atPath: picture + ".state"))
    #expect(Self.object(try Curl.get(base + "/api/events/\(id)").body)["feedback"] as? String == "false_alarm")
    #expect(waitUntil(timeout: 10) { daemon.log.contains("false alarm (http): episode \(id) of rule \(rule)") })
    let unknown = "00000000-0000-4000-8000-000000000000"
    #expect(try Curl.get(base + "/api/events/\(unknown)/false_alarm", ["-X", "POST"]).status == 404)

    // `monitor events` reads the database; when it cannot (a state directory it
    // may not read), it asks the API and lists the same episodes.
    // Episodes started up to a second from now; listed once that second has passed, so both lists see the same.
    let until = String(Int(Date().timeIntervalSince1970.rounded(.up)))
    Thread.sleep(forTimeInterval: 1.2)
    func listed(_ config: String) throws -> [String] {
      let output = try ChildProcess.run(
        try Executables.path("monitor"), ["events", "--config", config, "--json", "--until", until])
      return output.split(separator: "\n").compactMap { Self.object(String($0))["id"] as? String }
    }
    let apiOnly = try Self.withoutItsHistory(config, stateDirectory: directory)
    let direct = try listed(config)
    #expect(!direct.isEmpty)
    #expect(try listed(apiOnly) == direct)
    let table = try ChildProcess.run(try Executables.path("monitor"), ["events", "--config", apiOnly, "--limit", "3"])
    #expect(table.contains("\(base)/api/events/"), "\(table)")
    daemon.signal(SIGTERM)
    daemon.process.waitUntilExit()
    #expect(daemon.process.terminationStatus == 0)
  }

  /// Issue 22: the running daemon answers `GET /api/search` with its own model
  /// (between inference batches) over the memory it is writing, and serves
  /// the hits' thumbnails.
  @Test(.timeLimit(.minutes(3))) func aRunningDaemonSearchesItsMemory() throws {
    let directory = try Repository.temporaryDirectory("api-search")
    let port = Network.freePort()
    let config = try Self.config(
      in: directory, http: "listen = \"127.0.0.1:\(port)\"\n[memory]\nblock_seconds = 10\nentries_per_block = 4")
    let daemon = try ChildProcess(try Executables.path("monitor"), ["run", "--config", config])
    defer { daemon.kill() }
    try daemon.waitForOutput("http: API listening on 127.0.0.1:\(port)", timeout: 60)
    let base = "http://127.0.0.1:\(port)"
    var hits: [[String: Any]] = []
    var searched = 0
    // The first 10 s block closes within 20 s of the first frame.
    #expect(
      waitUntil(timeout: 60) {
        let answer = Self.object((try? Curl.get(base + "/api/search?q=something%20appears&threshold=0"))?.body ?? "")
        hits = answer["hits"] as? [[String: Any]] ?? []
        searched = answer["searched"] as? Int ?? 0
        return searched >= 4
      }, "\(daemon.log)")
    #expect(!hits.isEmpty && hits.allSatisfy { $0["camera"] as? String == "demo" })
    try SchemaValidation.expectValid(
      hits.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) },
      against: "memory-hit", in: directory)
    // The embedded model re-ranks: the hits are its fused ranking (unit-tested in
    // MemoryTests), not sorted by score; stretches and changes both appear as such.
    #expect(hits.count <= 10 && hits.allSatisfy { $0["change"] is Bool && ($0["score"] as? Double ?? -1) >= 0 })
    let thumbnail = try #require(hits.first?["thumbnail"] as? String)
    let jpeg = directory.appendingPathComponent("thumbnail.jpg").path
    #expect(try Curl.get(base + thumbnail, ["-o", jpeg]).status == 200)
    #expect(Array(try Data(contentsOf: URL(fileURLWithPath: jpeg)).prefix(2)) == [0xFF, 0xD8])
    #expect(try Curl.get(base + "/api/search?q=x&top=0").status == 400)
    let metrics = try Curl.get(base + "/metrics").body
    #expect((Self.sample(metrics, "monitor_memory_blocks_stored_total") ?? 0) >= 1, "\(metrics)")
    #expect(Self.sample(metrics, "monitor_memory_blocks_failed_total") == 0)
    daemon.signal(SIGTERM)
    daemon.process.waitUntilExit()
    #expect(daemon.process.terminationStatus == 0)
  }

  /// Reachable from other machines only with a token: without one the API stays
  /// off (one line) and the daemon runs on; with one, nothing is answered without it.
  @Test(.timeLimit(.minutes(3))) func otherAddressesNeedAToken() throws {
    let directory = try Repository.temporaryDirectory("api-token-daemon")
    let port = Network.freePort()
    let open = try ChildProcess(
      try Executables.path("monitor"),
      ["run", "--config", try Self.config(in: directory, http: "listen = \"0.0.0.0:\(port)\""), "--seconds", "4"])
    open.process.waitUntilExit()
    #expect(open.process.terminationStatus == 0)
    #expect(open.log.contains("http: listen 0.0.0.0:\(port) is reachable from other machines and needs a bearer token"))
    #expect(open.log.contains("frames embedded"), "the daemon ran on: \(open.log)")

    let token = directory.appendingPathComponent("api-token").path
    try "fleet-token-\(UUID().uuidString)\n".write(toFile: token, atomically: true, encoding: .utf8)
    let config = try Self.config(in: directory, http: "listen = \"0.0.0.0:\(port)\"\ntoken_file = \"\(token)\"")
    let daemon = try ChildProcess(try Executables.path("monitor"), ["run", "--config", config])
    defer { daemon.kill() }
    try daemon.waitForOutput("(bearer token required)", timeout: 60)
    let secret = try String(contentsOfFile: token, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(try Curl.get("http://127.0.0.1:\(port)/api/health").status == 401)
    #expect(try Curl.get("http://127.0.0.1:\(port)/metrics", ["-H", "Authorization: Bearer nope"]).status == 401)
    #expect(
      try Curl.get("http://127.0.0.1:\(port)/api/health", ["-H", "Authorization: Bearer \(secret)"]).status == 200)
    // `monitor events` sends the token from token_file when it goes through the API.
    let apiOnly = try Self.withoutItsHistory(config, stateDirectory: directory)
    let listed = try ChildProcess(try Executables.path("monitor"), ["events", "--config", apiOnly])
    listed.process.waitUntilExit()
    #expect(listed.process.terminationStatus == 0, "\(listed.log)")
  }
}
