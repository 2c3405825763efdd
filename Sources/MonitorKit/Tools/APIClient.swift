import Config
import Foundation
import HTTPAPI
import History

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// `monitor events` through the running daemon's API, for operators who
/// cannot read the state directory. Foundation's URLSession (libcurl) is
/// the client: the request is one GET on this machine.
struct APIClient {
  let base: String
  let token: BearerToken?

  init(_ http: Configuration.HTTP) throws {
    // A wildcard listen address serves loopback too.
    let host = http.host == "0.0.0.0" ? "127.0.0.1" : http.host == "::" ? "::1" : http.host
    base = "http://" + (host.contains(":") ? "[\(host)]" : host) + ":\(http.port)"
    token = try BearerToken.load(file: http.tokenFile)
  }

  func events(_ query: EventQuery) throws -> [EventListing.Row] {
    var components = URLComponents(string: base + "/api/events")!
    components.queryItems =
      [URLQueryItem(name: "limit", value: String(query.limit))]
      + [
        ("camera", query.camera), ("rule", query.rule), ("since", query.since.map { String($0) }),
        ("until", query.until.map { String($0) }),
      ].compactMap { name, value in
        value.map { URLQueryItem(name: name, value: $0) }
      }
    let object = try get(components.url!)
    guard let events = object["events"] as? [[String: Any]] else { throw ListingError("\(base): not an event list") }
    return events.map { event in
      EventListing.Row(
        json: event,
        snapshot: (event["has_snapshot"] as? Bool == true ? event["id"] as? String : nil).map {
          "\(base)/api/events/\($0)/snapshot.jpg"
        })
    }
  }

  private func get(_ url: URL) throws -> [String: Any] {
    var request = URLRequest(url: url, timeoutInterval: 10)
    if let token { request.setValue("Bearer \(token.text)", forHTTPHeaderField: "Authorization") }
    let answer = Answer()
    let done = DispatchSemaphore(value: 0)
    URLSession.shared.dataTask(with: request) { data, response, error in
      answer.set(data, (response as? HTTPURLResponse)?.statusCode, error)
      done.signal()
    }.resume()
    done.wait()
    let (data, status, error) = answer.get()
    if let error { throw ListingError("\(base): \(error.localizedDescription)") }
    let object = data.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
    guard status == 200 else {
      let message = (object["error"] as? [String: Any])?["message"] as? String ?? "no message"
      throw ListingError("\(base) answered \(status ?? 0): \(message)")
    }
    return object
  }
}

/// The completion handler's results, handed from URLSession's thread.
private final class Answer: @unchecked Sendable {
  private let lock = NSLock()
  private var value: (Data?, Int?, (any Error)?) = (nil, nil, nil)
  func set(_ data: Data?, _ status: Int?, _ error: (any Error)?) { lock.withLock { value = (data, status, error) } }
  func get() -> (Data?, Int?, (any Error)?) { lock.withLock { value } }
}
