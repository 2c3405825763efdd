import Core
import Foundation
import History
import Hummingbird
import Synchronization

/// The endpoints. Each answers JSON (or Prometheus text, or a JPEG) or a 4xx
/// naming what was wrong; request bodies are never read (the one `POST`
/// takes its all in the path).
struct APIRoutes: Sendable {
  let backend: any APIBackend
  let metrics: MetricsRegistry
  /// nil: `[history] enabled = false`.
  let history: HistoryReader?

  func register(on router: Router<BasicRequestContext>) {
    router.get("/api/health") { _, _ in
      let health = backend.health()
      return try Self.json(health, status: health.status == "stalled" ? .serviceUnavailable : .ok)
    }
    router.get("/metrics") { _, _ in
      backend.refreshMetrics()
      return Response(
        status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(string: metrics.text())))
    }
    router.get("/api/events") { request, _ in
      let parameters = request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
      let query: EventQuery
      do {
        query = try EventQuery(parameters: parameters, now: Date().timeIntervalSince1970)
      } catch {
        throw HTTPError(.badRequest, message: "\(error)")
      }
      let events = try historyOrThrow().events(query)
      return try Self.json(["events": events.map(\.json)])
    }
    router.get("/api/events/:id") { _, context in
      try Self.json(try event(context).json)
    }
    router.get("/api/events/:id/snapshot.jpg") { _, context in
      let event = try event(context)
      // Written by the recorder as snapshots/<id>.jpg; never a path a client chose.
      guard let path = event.snapshotPath, !path.contains(".."),
        let data = FileManager.default.contents(atPath: try historyOrThrow().directory + "/" + path)
      else { throw HTTPError(.notFound, message: "episode \(event.id) has no snapshot") }
      return Response(
        status: .ok, headers: [.contentType: "image/jpeg"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
    registerFeedback(on: router)
    registerSearch(on: router)
  }

  /// `GET /api/search?q=…` and the thumbnails its hits name.
  private func registerSearch(on router: Router<BasicRequestContext>) {
    router.get("/api/search") { request, _ in
      let parameters = request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
      let search: MemorySearchRequest
      do {
        search = try MemorySearchRequest(parameters: parameters, now: Date().timeIntervalSince1970)
      } catch {
        throw HTTPError(.badRequest, message: "\(error)")
      }
      switch await backend.search(search) {
      case .hits(let hits, let searched):
        let objects = hits.map { $0.json(thumbnail: "/api/memory/\($0.entry)/thumbnail.jpg") }
        return try Self.json(["hits": objects, "searched": searched])
      case .off(let message): throw HTTPError(.notFound, message: message)
      case .failed(let message): throw HTTPError(.serviceUnavailable, message: message)
      }
    }
    router.get("/api/memory/:entry/thumbnail.jpg") { _, context in
      guard let text = context.parameters.get("entry"), text.count <= 19, let entry = Int64(text), entry > 0 else {
        throw HTTPError(.badRequest, message: "not a memory entry (a positive whole number)")
      }
      guard let jpeg = try historyOrThrow().memoryThumbnail(id: entry) else {
        throw HTTPError(.notFound, message: "no memory entry \(entry) with a thumbnail (purged, or not yet stored)")
      }
      return Response(
        status: .ok, headers: [.contentType: "image/jpeg"], body: .init(byteBuffer: ByteBuffer(bytes: jpeg)))
    }
  }

  /// `POST /api/events/{id}/false_alarm`.
  private func registerFeedback(on router: Router<BasicRequestContext>) {
    router.post("/api/events/:id/false_alarm") { _, context in
      let id = context.parameters.get("id") ?? ""
      guard EventHistory.isEpisodeID(id) else {
        throw HTTPError(.badRequest, message: "not an episode id (up to 64 hexadecimal digits and dashes)")
      }
      switch backend.falseAlarm(id: id) {
      case .recorded(let rule, let camera):
        return try Self.json(["id": id, "rule": rule, "camera": camera, "feedback": "false_alarm"])
      case .notFound(let message): throw HTTPError(.notFound, message: message)
      case .noSnapshot(let message): throw HTTPError(.conflict, message: message)
      case .failed(let message): throw HTTPError(.internalServerError, message: message)
      }
    }
  }

  /// The episode the path names; 400 for an id that cannot be one (traversal, junk), 404 for one not kept.
  private func event(_ context: BasicRequestContext) throws -> StoredEvent {
    let id = context.parameters.get("id") ?? ""
    guard EventHistory.isEpisodeID(id) else {
      throw HTTPError(.badRequest, message: "not an episode id (up to 64 hexadecimal digits and dashes)")
    }
    guard let event = try historyOrThrow().event(id: id) else {
      throw HTTPError(.notFound, message: "no episode \(id) in the event history")
    }
    return event
  }

  private func historyOrThrow() throws -> EventHistory {
    guard let history else { throw HTTPError(.notFound, message: "the event history is off ([history] enabled)") }
    do {
      return try history.open()
    } catch {
      throw HTTPError(.serviceUnavailable, message: "event history: \(error)")
    }
  }

  static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return Response(
      status: status, headers: [.contentType: "application/json"],
      body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
  }

  static func json(_ object: [String: Any]) throws -> Response {
    Response(
      status: .ok, headers: [.contentType: "application/json"],
      body: .init(
        byteBuffer: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object, options: .sortedKeys))))
  }
}
