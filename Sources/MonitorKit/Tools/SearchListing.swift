import Config
import Core
import Foundation
import History

/// `monitor search`: the memory search as a table or JSON lines, with each
/// hit's thumbnail written out as a file (the database keeps them as blobs).
public struct SearchListing: Sendable {
  public var text: String
  public var camera: String?
  /// Wall-clock bounds as an operator writes them (`WallTime.parse`).
  public var since: String?
  public var until: String?
  public var top = 10
  public var threshold = 0.5
  public var json = false
  /// Where thumbnails go (created when missing); nil: no thumbnails.
  public var thumbnails: String?

  public init(text: String) { self.text = text }

  /// The lines to print, best hit first; throws one line naming what is wrong.
  public func lines(configuration: Configuration, engine: Engine, now: Double = Date().timeIntervalSince1970)
    throws -> [String]
  {
    var request = MemorySearchRequest(text: text)
    request.query = MemoryQuery(
      camera: camera, since: try since.map { try WallTime.parse($0, now: now, option: "--since") },
      until: try until.map { try WallTime.parse($0, now: now, option: "--until") })
    request.top = top
    request.threshold = threshold
    let search = MemorySearch(request, blockSeconds: configuration.memory.blockSeconds)
    let history = try EventHistory(directory: configuration.historyDirectory, readOnly: true)
    let (hits, searched) = try search.run(engine: engine, history: history)
    if searched == 0 { return [try Self.nothingStored(history, model: engine.fingerprint)] }
    let files = try hits.map { try thumbnail(of: $0, history: history) }
    if json { return zip(hits, files).map { EventListing.jsonLine($0.json(thumbnail: $1)) } }
    guard !hits.isEmpty else {
      return ["no match at or above \(threshold) among \(searched) memory entries (try --threshold lower)"]
    }
    return Self.table(hits, files: files)
  }

  /// Why nothing was searched: no memory at all, or only another model's.
  static func nothingStored(_ history: EventHistory, model: String) throws -> String {
    let models = try history.memoryModels()
    if models.isEmpty { return "the memory is empty in that time range (is [memory] on, and has the daemon run?)" }
    return
      "no memory made by the current model in that time range (\(models.values.reduce(0, +)) entries were made by "
      + "another model or model files; they are never compared with this one)"
  }

  private func thumbnail(of hit: MemoryHit, history: EventHistory) throws -> String? {
    guard let thumbnails, let jpeg = try history.memoryThumbnail(id: hit.entry) else { return nil }
    do {
      try FileManager.default.createDirectory(atPath: thumbnails, withIntermediateDirectories: true)
      let path = thumbnails + "/memory-\(hit.entry).jpg"
      try Data(jpeg).write(to: URL(fileURLWithPath: path), options: .atomic)
      return path
    } catch {
      throw ListingError("--thumbnails \(thumbnails): \(error.localizedDescription)")
    }
  }

  static func table(_ hits: [MemoryHit], files: [String?]) -> [String] {
    let table =
      [["FROM (UTC)", "TO", "CAMERA", "FOUND", "SCORE", "THUMBNAIL"]]
      + zip(hits, files).map { hit, file in
        [
          TextTable.wallTime(hit.start), String(TextTable.wallTime(hit.end).suffix(8)),
          hit.camera + (hit.region.map { "/\($0)" } ?? ""), hit.change ? "change" : "stretch",
          String(format: "%.2f", hit.score), file ?? "-",
        ]
      }
    return TextTable.lines(table)
  }
}
