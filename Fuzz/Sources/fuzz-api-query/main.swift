import Core
import FuzzSupport
import History

/// Any bytes as what `GET /api/events?…`, `GET /api/search?…` and
/// `GET /api/events/{id}` hand our code once the HTTP parser is done: the
/// query's name=value pairs (split at `&` and the first `=`), and the path's
/// id. An accepted query must be one the database can run as asked (its limit
/// in range, its times finite; a search's text not blank, its threshold a
/// score); an accepted id must be safe as a file name (the snapshot path is built from it).
runFuzzer { data, size in
  let text = FuzzInput(data, size).text
  let parameters = text.split(separator: "&", omittingEmptySubsequences: false).map { pair in
    let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
    return (name: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : "")
  }
  if let query = try? EventQuery(parameters: parameters, now: 1_800_000_000) {
    guard (1...EventQuery.maximumLimit).contains(query.limit) else { fatalError("limit \(query.limit) accepted") }
    for time in [query.since, query.until].compactMap({ $0 }) where !time.isFinite {
      fatalError("time \(time) accepted from \(text)")
    }
  }
  if let search = try? MemorySearchRequest(parameters: parameters, now: 1_800_000_000) {
    guard (1...MemorySearchRequest.maximumTop).contains(search.top), (0...1).contains(search.threshold),
      !search.text.allSatisfy(\.isWhitespace)
    else { fatalError("search \(text) accepted") }
    for time in [search.query.since, search.query.until].compactMap({ $0 }) where !time.isFinite {
      fatalError("time \(time) accepted from \(text)")
    }
  }
  if EventHistory.isEpisodeID(text) {
    guard !text.contains("/"), !text.contains("."), !text.isEmpty, text.utf8.count <= 64 else {
      fatalError("id \(text) accepted")
    }
  }
  return 0
}
