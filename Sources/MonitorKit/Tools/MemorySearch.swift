import Core
import Foundation
import History
import Rules

/// `monitor search` and `GET /api/search`: the cameras' stored memory
/// ranked against a text, scored as a rule would score it (the phrase in
/// prompt templates, calibrated against the generic background prompts:
/// `RuleScorer`), on entries the current model made only. Entries at or
/// above `threshold` that follow each other on one camera view merge into
/// one span, at most two blocks long, scored by its best entry.
public struct MemorySearch: Sendable {
  public var request: MemorySearchRequest
  /// `[memory] block_seconds`: spans are capped at twice it.
  public var blockSeconds: Double
  /// Entries further apart than this (a camera offline, a restart) never merge.
  public static let maximumGap = 5.0

  public init(_ request: MemorySearchRequest, blockSeconds: Double) {
    self.request = request
    self.blockSeconds = blockSeconds
  }

  /// The best `top` spans, best first, and how many entries were searched.
  /// `engine`: on the calling thread only (see `Engine`).
  public func run(engine: Engine, history: EventHistory) throws -> (hits: [MemoryHit], searched: Int) {
    let entries = try history.memoryEntries(request.query, model: engine.fingerprint)
    guard let scorer = engine.scorer(for: Rule(id: "search", text: [request.text])) else {
      throw ListingError("search: '\(request.text)' cannot be scored")
    }
    let scores = entries.map { scorer.present.score($0.embedding) }
    let hits = Self.spans(
      entries, scores: scores, threshold: request.threshold, cap: 2 * blockSeconds, top: request.top)
    return (hits, entries.count)
  }

  /// Hits from scored entries (ordered by camera, region, start, as
  /// `memoryEntries` returns them): runs of adjacent entries at or above
  /// `threshold`, cut where a span would grow past `cap` seconds.
  public static func spans(_ entries: [StoredMemoryEntry], scores: [Double], threshold: Double, cap: Double, top: Int)
    -> [MemoryHit]
  {
    var hits: [MemoryHit] = []
    var open: MemoryHit?
    var previous: StoredMemoryEntry?
    for (entry, score) in zip(entries, scores) {
      defer { previous = entry }
      guard score >= threshold else {
        if let span = open { hits.append(span) }
        open = nil
        continue
      }
      if var span = open, let previous, previous.camera == entry.camera, previous.region == entry.region,
        entry.start - previous.end <= maximumGap, entry.end - span.start <= cap
      {
        span.end = entry.end
        span.entries += 1
        if score > span.score { (span.score, span.entry) = (score, entry.id) }
        open = span
      } else {
        if let span = open { hits.append(span) }
        open = MemoryHit(
          camera: entry.camera, region: entry.region, start: entry.start, end: entry.end, score: score,
          entry: entry.id, entries: 1)
      }
    }
    if let span = open { hits.append(span) }
    return Array(hits.sorted { $0.score != $1.score ? $0.score > $1.score : $0.start < $1.start }.prefix(top))
  }
}
