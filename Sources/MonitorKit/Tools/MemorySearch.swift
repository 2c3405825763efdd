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
  /// The engine caches scorers by rule id: the search's is one no rule can
  /// have (`Rule.isValidID` refuses spaces), so a rule named "search" keeps its own.
  static let scorerID = "memory search"
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
    guard let scorer = engine.scorer(for: Rule(id: Self.scorerID, text: [request.text])) else {
      throw ListingError("search: '\(request.text)' cannot be scored")
    }
    let scores = Self.scores(entries.map(\.embedding), scorer.present)
    let hits = Self.spans(
      entries, scores: scores, threshold: request.threshold, cap: 2 * blockSeconds, top: request.top)
    return (hits, entries.count)
  }

  /// `score.score(e)` for every embedding, computed in one sweep: per
  /// embedding its norm and its dot products with the prototype and the
  /// contrasts, 16 lanes at a time (a day of 8 cameras is ~50 000 entries;
  /// the scalar path took longer than reading them).
  public static func scores(_ embeddings: [[Float]], _ score: CalibratedScore) -> [Double] {
    let references = [score.prototype] + score.contrasts
    guard let width = embeddings.first?.count, width % 16 == 0, score.pictures.isEmpty,
      references.allSatisfy({ $0.count == width }), embeddings.allSatisfy({ $0.count == width })
    else { return embeddings.map(score.score) }
    let flat = references.flatMap { $0 }
    var dots = [Double](repeating: 0, count: references.count)
    return flat.withUnsafeBufferPointer { referenceBuffer in
      referenceBuffer.withMemoryRebound(to: SIMD16<Float>.self) { lanes in
        let chunks = width / 16
        return embeddings.map { embedding in
          embedding.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: SIMD16<Float>.self) { vector in
              var squares = SIMD16<Float>()
              for i in 0..<chunks { squares += vector[i] * vector[i] }
              let norm = Double(squares.sum()).squareRoot()
              for j in references.indices {
                var sum = SIMD16<Float>()
                for i in 0..<chunks { sum += vector[i] * lanes[j * chunks + i] }
                dots[j] = norm > 0 ? Double(sum.sum()) / norm : 0
              }
            }
          }
          return score.score(prototypeSimilarity: dots[0], contrastSimilarities: dots[1...])
        }
      }
    }
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
