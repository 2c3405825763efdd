import Core
import CoreMetrics
import Foundation
import History
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

@testable import HTTPAPI

#if canImport(Glibc)
  import Glibc
#endif

/// The API server on a real socket, asked with real HTTP requests (curl), over
/// a real event history; the backend stands in for the daemon, whose own
/// answers are tested through the binary (MonitorKitTests, HTTPAPIDaemonTests).
@Suite(.serialized) struct APIServerTests {
  final class FixedBackend: APIBackend {
    let refreshed = Mutex(0)
    func health() -> Health {
      Health(
        workerAlive: true, version: "9.9", node: "box", uptimeSeconds: 5,
        cameras: [.init(name: "hall", connected: true), .init(name: "yard", connected: false)], rules: 3,
        brokerConnected: true, outboxQueued: 0, historyEnabled: true)
    }
    func refreshMetrics() { refreshed.withLock { $0 += 1 } }
    let reported = Mutex<[String]>([])
    /// The first episode is recorded, the second has no snapshot, any other is unknown.
    func falseAlarm(id: String) -> FalseAlarmOutcome {
      reported.withLock { $0.append(id) }
      if id == APIServerTests.ids[0] { return .recorded(rule: "falls", camera: "hall") }
      if id == APIServerTests.ids[1] { return .noSnapshot("episode '\(id)' has no snapshot to learn from") }
      return .notFound("no episode '\(id)' in the event history (see monitor events)")
    }
    let searched = Mutex<[MemorySearchRequest]>([])
    /// "nothing" finds nothing; any other text one span whose entry is 1.
    func search(_ request: MemorySearchRequest) async -> SearchOutcome {
      searched.withLock { $0.append(request) }
      if request.text == "nothing" { return .hits([], searched: 3) }
      return .hits(
        [MemoryHit(camera: "hall", region: nil, start: 1_000, end: 1_030, score: 0.81234, entry: 1, entries: 2)],
        searched: 3)
    }
  }

  /// A task executor on a concurrent dispatch queue (threads outside the cooperative pool).
  final class DedicatedThreads: TaskExecutor {
    static let shared = DedicatedThreads()
    private let queue = DispatchQueue(label: "api-server-tests", attributes: .concurrent)
    func enqueue(_ job: consuming ExecutorJob) {
      let job = UnownedJob(job)
      queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
  }

  static let ids = (0..<3).map { String(format: "6f1c2a7e-0b1d-4c3e-9f00-%012d", $0) }

  /// A history with three episodes; the first has a snapshot.
  static func history() throws -> String {
    let directory = try Repository.temporaryDirectory("api-history").path
    let history = try EventHistory(directory: directory)
    for (index, id) in ids.enumerated() {
      let recorder = HistoryRecorder(
        history: history, retention: Retention(), log: { _ in }, now: { 1_000 + Double(index) })
      recorder.deliver(
        AlertEvent(
          kind: .new, id: id, camera: index == 1 ? "yard" : "hall", rule: "falls", label: "a person falls",
          score: 0.7, topScore: 0.7, threshold: 0.6, startTime: Double(index), endTime: nil, frameTime: 0,
          snapshot: index == 0 ? [0xFF, 0xD8, 0xFF, 0xD9] : nil, model: "m"))
    }
    return directory
  }

  /// Runs `body` against a server on a free port, then stops it.
  static func serving(
    token: BearerToken? = nil, backend: FixedBackend = FixedBackend(), historyDirectory: String?,
    idleTimeout: Duration = .seconds(10), metrics: MetricsRegistry = MetricsRegistry(),
    _ body: (Int) async throws -> Void
  ) async throws {
    let port = Network.freePort()
    var settings = APIServer.Settings(host: "127.0.0.1", port: port, token: token)
    settings.idleTimeout = idleTimeout
    let listening = Mutex(false)
    let lines = Mutex<[String]>([])
    let server = APIServer(
      settings: settings, backend: backend, metrics: metrics, historyDirectory: historyDirectory,
      log: { line in lines.withLock { $0.append(line) } }, onListening: { _ in listening.withLock { $0 = true } })
    let group = ServiceGroup(services: [server], logger: .init(label: "test"))
    // On threads of its own: the suites running beside this one block the
    // two-thread cooperative pool for a minute at a time, which starved the server.
    let running = Task(executorPreference: DedicatedThreads.shared) { try await group.run() }
    for _ in 0..<750 where !listening.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(20)) }
    guard listening.withLock({ $0 }) else { throw TestFailure("the API did not listen: \(lines.withLock { $0 })") }
    do {
      try await body(port)
    } catch {
      await group.triggerGracefulShutdown()
      throw error
    }
    await group.triggerGracefulShutdown()
    try await running.value
  }

  /// curl's view of one request: status and body. curl runs on a thread of its
  /// own: blocking the two-thread cooperative pool would starve the server under test.
  static func get(_ port: Int, _ path: String, _ extra: [String] = []) async throws -> (status: Int, body: String) {
    try await offPool { try Curl.get("http://127.0.0.1:\(port)\(path)", extra) }
  }

  static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      Thread { continuation.resume(with: Result { try body() }) }.start()
    }
  }

  static func object(_ body: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
  }

  @Test func healthMetricsEventsAndSnapshots() async throws {
    let directory = try Self.history()
    let metrics = MetricsRegistry()
    Counter(label: "monitor_frames_embedded_total", dimensions: [("camera", "hall")], factory: metrics.factory)
      .increment(by: 7)
    try await Self.serving(historyDirectory: directory, metrics: metrics) { port in
      let health = try await Self.get(port, "/api/health")
      #expect(health.status == 200)
      let object = try Self.object(health.body)
      #expect(object["status"] as? String == "degraded" && object["rules"] as? Int == 3)

      let scrape = try await Self.get(port, "/metrics")
      #expect(scrape.status == 200 && scrape.body.contains("monitor_frames_embedded_total{camera=\"hall\"} 7"))

      let all = try await Self.get(port, "/api/events")
      let events = try #require(try Self.object(all.body)["events"] as? [[String: Any]])
      #expect(all.status == 200 && events.map { $0["id"] as? String } == Self.ids.reversed())
      let yard =
        try Self.object(try await Self.get(port, "/api/events?camera=yard&limit=5").body)["events"] as? [[String: Any]]
      #expect(yard?.map { $0["id"] as? String } == [Self.ids[1]])
      let one = try await Self.get(port, "/api/events/\(Self.ids[0])")
      let oneID = try Self.object(one.body)["id"] as? String
      #expect(one.status == 200 && oneID == Self.ids[0])

      let jpeg = try Repository.temporaryDirectory("api-snapshot").appendingPathComponent("s.jpg").path
      let snapshot = try await Self.get(port, "/api/events/\(Self.ids[0])/snapshot.jpg", ["-o", jpeg])
      let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: jpeg)))
      #expect(snapshot.status == 200 && bytes == [0xFF, 0xD8, 0xFF, 0xD9])
      #expect(try await Self.get(port, "/api/events/\(Self.ids[1])/snapshot.jpg").status == 404)
    }
  }

  /// Issue 20: `POST /api/events/{id}/false_alarm` hands the id to the daemon
  /// and says what became of it; a body, a bad id or another method never reach it.
  @Test func falseAlarmFeedback() async throws {
    let backend = FixedBackend()
    try await Self.serving(backend: backend, historyDirectory: try Self.history()) { port in
      let recorded = try await Self.get(port, "/api/events/\(Self.ids[0])/false_alarm", ["-X", "POST"])
      #expect(recorded.status == 200, "\(recorded.body)")
      let object = try Self.object(recorded.body)
      #expect(object["rule"] as? String == "falls" && object["feedback"] as? String == "false_alarm")
      let noSnapshot = try await Self.get(port, "/api/events/\(Self.ids[1])/false_alarm", ["-X", "POST"])
      #expect(noSnapshot.status == 409 && noSnapshot.body.contains("has no snapshot"))
      let unknown = try await Self.get(port, "/api/events/\(Self.ids[2].dropLast())9/false_alarm", ["-X", "POST"])
      #expect(unknown.status == 404 && unknown.body.contains("no episode"))
      #expect(try await Self.get(port, "/api/events/..%2F..%2Fx/false_alarm", ["-X", "POST"]).status == 400)
      let body = try await Self.get(
        port, "/api/events/\(Self.ids[0])/false_alarm", ["-X", "POST", "--data-binary", "{\"x\":1}"])
      #expect(body.status == 413)
      #expect(try await Self.get(port, "/api/events/\(Self.ids[0])/false_alarm").status == 404)
    }
    #expect(backend.reported.withLock { $0 } == [Self.ids[0], Self.ids[1], String(Self.ids[2].dropLast()) + "9"])
  }

  /// Everything a client can get wrong is a 4xx with one line saying what, and the server keeps answering.
  @Test func badRequestsAreFourHundreds() async throws {
    let directory = try Self.history()
    try await Self.serving(historyDirectory: directory) { port in
      let cases: [(path: String, status: Int, says: String)] = [
        ("/api/events?since=yesterday", 400, "since: 'yesterday' is not a time"),
        ("/api/events?limit=0", 400, "limit: '0' is not a count"),
        ("/api/events?limit=99999999999999999999", 400, "limit"),
        ("/api/events?camera=a&camera=b", 400, "camera: given twice"),
        ("/api/events?cam=hall", 400, "cam: unknown parameter"),
        ("/api/events?rule=\(String(repeating: "x", count: 300))", 400, "rule: longer than 256 bytes"),
        ("/api/events/..%2F..%2F..%2Fetc%2Fpasswd", 400, "not an episode id"),
        ("/api/events/%2e%2e/snapshot.jpg", 400, "not an episode id"),
        ("/api/events/\(String(repeating: "a", count: 65))", 400, "not an episode id"),
        ("/api/events/\(Self.ids[2].dropLast())9", 404, "no episode"),
        ("/api/../../etc/passwd", 404, ""),
        ("/api/search", 400, "q: missing"),
        ("/api/search?q=a&top=0", 400, "top: '0' is not a count"),
        ("/api/search?q=a&threshold=2", 400, "threshold: '2' is not a score"),
        ("/api/search?q=a&since=yesterday", 400, "since: 'yesterday' is not a time"),
        ("/api/search?query=a", 400, "query: unknown parameter"),
        ("/api/memory/abc/thumbnail.jpg", 400, "not a memory entry"),
        ("/api/memory/-1/thumbnail.jpg", 400, "not a memory entry"),
        ("/api/memory/99/thumbnail.jpg", 404, "no memory entry 99"),
        ("/nothing", 404, ""),
      ]
      for (path, status, says) in cases {
        let answer = try await Self.get(port, path)
        #expect(answer.status == status, "\(path)")
        #expect(says.isEmpty || answer.body.contains(says), "\(path): \(answer.body)")
        #expect(!answer.body.contains("root:"), "\(path)")
      }
      let body = try await Self.get(
        port, "/api/health", ["-X", "GET", "--data-binary", String(repeating: "x", count: 100_000)])
      #expect(body.status == 413 && body.body.contains("no request body"))
      let chunked = try await Self.get(port, "/api/health", ["-H", "Transfer-Encoding: chunked", "--data-binary", "x"])
      #expect(chunked.status == 413)
      let huge = try await Self.get(port, "/api/health", ["-H", "X-Pad: " + String(repeating: "p", count: 20_000)])
      #expect((400..<500).contains(huge.status) || huge.status == 0)
      #expect(try await Self.get(port, "/api/events", ["-X", "POST"]).status == 404)
      #expect(try await Self.get(port, "/api/health").status == 200)
    }
  }

  /// Issue 22: `GET /api/search` hands the parsed request to the daemon and
  /// lists its spans with the URL of each thumbnail, which the history serves.
  @Test func searchAndThumbnails() async throws {
    let directory = try Self.history()
    let history = try EventHistory(directory: directory)
    try history.storeMemory(
      camera: "hall", region: nil, blockStart: 960, model: "m",
      entries: [MemoryRecord(start: 1_000, end: 1_030, frames: 60, embedding: [1, 0], thumbnail: [0xFF, 0xD8, 0xFF])])
    let backend = FixedBackend()
    try await Self.serving(backend: backend, historyDirectory: directory) { port in
      let answer = try await Self.get(port, "/api/search?q=a%20red%20car&camera=hall&since=1000&top=5&threshold=0.6")
      #expect(answer.status == 200, "\(answer.body)")
      let object = try Self.object(answer.body)
      let hits = try #require(object["hits"] as? [[String: Any]])
      #expect(object["searched"] as? Int == 3 && hits.count == 1)
      #expect(hits[0]["thumbnail"] as? String == "/api/memory/1/thumbnail.jpg" && hits[0]["score"] as? Double == 0.812)
      #expect(hits[0]["start"] as? String == "1970-01-01T00:16:40.000Z" && hits[0]["camera"] as? String == "hall")
      let none = try Self.object(try await Self.get(port, "/api/search?q=nothing").body)
      #expect((none["hits"] as? [Any])?.isEmpty == true)
      let jpeg = try Repository.temporaryDirectory("api-thumbnail").appendingPathComponent("t.jpg").path
      #expect(try await Self.get(port, "/api/memory/1/thumbnail.jpg", ["-o", jpeg]).status == 200)
      #expect(Array(try Data(contentsOf: URL(fileURLWithPath: jpeg))) == [0xFF, 0xD8, 0xFF])
    }
    let requests = backend.searched.withLock { $0 }
    #expect(requests.count == 2 && requests[0].text == "a red car" && requests[0].top == 5)
    #expect(requests[0].query == MemoryQuery(camera: "hall", since: 1_000) && requests[0].threshold == 0.6)
  }

  /// With a token: nothing without it, nothing with a wrong one (also one that is a prefix of it).
  @Test func theTokenIsRequiredOnEveryRoute() async throws {
    let token = try BearerToken("s3cret-token-0123456789")
    try await Self.serving(token: token, historyDirectory: try Self.history()) { port in
      #expect(try await Self.get(port, "/api/events/\(Self.ids[0])/false_alarm", ["-X", "POST"]).status == 401)
      for path in ["/api/health", "/metrics", "/api/events", "/api/events/\(Self.ids[0])", "/nothing"] {
        #expect(try await Self.get(port, path).status == 401, "\(path)")
        #expect(try await Self.get(port, path, ["-H", "Authorization: Bearer s3cret-token-012345678"]).status == 401)
        #expect(try await Self.get(port, path, ["-H", "Authorization: Basic s3cret-token-0123456789"]).status == 401)
      }
      let answer = try await Self.get(
        port, "/api/health", ["-i", "-H", "Authorization: Bearer s3cret-token-0123456789"])
      #expect(answer.status == 200)
      let denied = try await Self.get(port, "/api/health", ["-i"])
      #expect(denied.body.lowercased().contains("www-authenticate: bearer"))
    }
  }

  /// A client that connects and never completes a request is cut off after the idle timeout.
  @Test func silentAndTricklingClientsAreClosed() async throws {
    try await Self.serving(historyDirectory: nil, idleTimeout: .seconds(1)) { port in
      #expect(try await Self.get(port, "/api/events").status == 404)  // history off
      for trickle in [false, true] {
        let started = ContinuousClock.now
        let closed = try await Self.offPool { try Self.secondsUntilClosed(port: port, trickle: trickle) }
        #expect(closed < 5, "trickle \(trickle): open after \(closed) s")
        #expect(ContinuousClock.now - started < .seconds(6))
      }
      #expect(try await Self.get(port, "/api/health").status == 200)
    }
  }

  /// Connects, then sends nothing (or one byte of a request every 200 ms) until the server closes.
  static func secondsUntilClosed(port: Int, trickle: Bool) throws -> Double {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else { throw TestFailure("connect failed") }
    var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let request = Array("GET /api/health HTTP/1.1\r\nHost: x\r\nX-Pad: ".utf8) + Array(repeating: UInt8(97), count: 200)
    let started = Date()
    var sent = 0
    var buffer = [UInt8](repeating: 0, count: 64)
    while Date().timeIntervalSince(started) < 30 {
      if trickle && sent < request.count {
        guard send(fd, [request[sent]], 1, Int32(MSG_NOSIGNAL)) == 1 else { break }
        sent += 1
      }
      let count = recv(fd, &buffer, buffer.count, 0)
      if count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { break }
      if count > 0 { throw TestFailure("the server answered an incomplete request") }
    }
    return Date().timeIntervalSince(started)
  }

  @Test func tokensComeFromAFileOrSystemdCredentials() throws {
    let directory = try Repository.temporaryDirectory("api-token")
    let file = directory.appendingPathComponent("api-token").path
    try "  0123456789abcdef-token\n".write(toFile: file, atomically: true, encoding: .utf8)
    let expected = try BearerToken("0123456789abcdef-token")
    #expect(try BearerToken.load(file: file, environment: [:]) == expected)
    #expect(try BearerToken.load(file: nil, environment: ["CREDENTIALS_DIRECTORY": directory.path]) != nil)
    #expect(try BearerToken.load(file: nil, environment: [:]) == nil)
    // The shipped unit's credential file left empty: no token, not an error.
    let empty = try Repository.temporaryDirectory("api-credentials")
    try "".write(toFile: empty.appendingPathComponent("api-token").path, atomically: true, encoding: .utf8)
    #expect(try BearerToken.load(file: nil, environment: ["CREDENTIALS_DIRECTORY": empty.path]) == nil)
    #expect(throws: TokenError.self) { try BearerToken.load(file: directory.path + "/missing", environment: [:]) }
    try "short".write(toFile: file, atomically: true, encoding: .utf8)
    let error = #expect(throws: TokenError.self) { try BearerToken.load(file: file, environment: [:]) }
    #expect(error?.description == "http token in \(file) is shorter than 16 characters")
    #expect(throws: TokenError.self) { try BearerToken("has a space in it, sixteen+") }
    // Sizes are bounded before reading: a big file and an endless one are refused, not read whole.
    let big = directory.appendingPathComponent("big").path
    try String(repeating: "t", count: 5_000).write(toFile: big, atomically: true, encoding: .utf8)
    #expect(throws: TokenError.self) { try BearerToken.load(file: big, environment: [:]) }
    #expect(throws: TokenError.self) { try BearerToken.load(file: "/dev/zero", environment: [:]) }
  }
}
