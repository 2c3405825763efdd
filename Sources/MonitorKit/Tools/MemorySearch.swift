import Core
import Foundation
import History
import Mamba
import Rules
import Synchronization
import Tensor

/// `monitor search` and `GET /api/search`: the cameras' stored memory
/// ranked against a text, scored as a rule would score it (the phrase in
/// prompt templates, calibrated against the generic background prompts:
/// `RuleScorer`), on entries the current model made only. Entries at or
/// above `threshold` that follow each other on one camera view merge into
/// one span, at most two blocks long, scored by its best entry.
///
/// With a retrospective re-ranker (`Engine.retrospective`) the first pass
/// also picks candidates: runs of entries around the best of them are
/// rescored by the bidirectional Mamba, which sees what came before and
/// after each entry and answers for the changes between entries too (an
/// action is a change, not a picture); the two rankings are fused.
public struct MemorySearch: Sendable {
  public var request: MemorySearchRequest
  /// `[memory] block_seconds`: spans are capped at twice it.
  public var blockSeconds: Double
  /// The engine caches scorers by rule id: the search's is one no rule can
  /// have (`Rule.isValidID` refuses spaces), so a rule named "search" keeps its own.
  static let scorerID = "memory search"
  /// Entries further apart than this (a camera offline, a restart) never merge.
  public static let maximumGap = 5.0
  /// Entries the first pass hands the re-ranker, and how many either side of
  /// each it sees (as the re-ranker was trained: runs of 8–48 entries).
  public static let candidates = 64
  public static let radius = 8

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
    let hits = Self.hits(
      entries, scores: Self.scores(entries.map(\.embedding), scorer.present), reranker: engine.retrospective,
      scorer.present, threshold: request.threshold, cap: 2 * blockSeconds, top: request.top)
    return (hits, entries.count)
  }

  /// The best `top` hits at or above `threshold` from the entries' first-pass
  /// `scores`: merged runs of entries (`spans`). With a re-ranker, two
  /// rankings fused by rank: the first pass's spans, and the re-ranker's (its
  /// entries merged into spans, and the changes it found: `reranked`).
  public static func hits(
    _ entries: [StoredMemoryEntry], scores: [Double], reranker: BidirectionalAdapter?, _ score: CalibratedScore,
    threshold: Double, cap: Double, top: Int
  ) -> [MemoryHit] {
    guard let reranker else { return spans(entries, scores: scores, threshold: threshold, cap: cap, top: top) }
    let answers = reranked(entries, firstPass: scores, by: reranker, score)
    let second = ranked(
      spans(entries, scores: answers.entryScores, threshold: threshold, cap: cap, top: .max)
        + answers.changes.filter { $0.score >= threshold }, top: .max)
    return fused([spans(entries, scores: scores, threshold: threshold, cap: cap, top: .max), second], top: top)
  }

  /// Reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009; k = 60 as
  /// they give it, not tuned here): each hit weighs the sum of 1 / (k + rank)
  /// over the rankings that list it (the same camera view and span), and
  /// keeps its own calibrated score. Chosen on validation streams with
  /// combinations of objects and actions training never showed, where the
  /// re-ranker's answers alone (or the better of its and the first pass's
  /// score per entry) lost a third of the object queries the first pass
  /// finds first, and the re-ranker's changes beside the first pass's
  /// entries lost all of them.
  public static func fused(_ rankings: [[MemoryHit]], top: Int, k: Double = 60) -> [MemoryHit] {
    struct Span: Hashable {
      var camera: String
      var region: String?
      var start: Double
      var end: Double
    }
    var hits: [Span: (hit: MemoryHit, weight: Double)] = [:]
    for ranking in rankings {
      for (rank, hit) in ranking.enumerated() {
        let span = Span(camera: hit.camera, region: hit.region, start: hit.start, end: hit.end)
        hits[span, default: (hit, 0)].weight += 1 / (k + Double(rank + 1))
      }
    }
    return Array(
      hits.values.sorted {
        $0.weight != $1.weight
          ? $0.weight > $1.weight
          : $0.hit.score != $1.hit.score ? $0.hit.score > $1.hit.score : $0.hit.start < $1.hit.start
      }
      .prefix(top).map(\.hit))
  }

  /// `score.score(e)` for every embedding, computed in one sweep: per
  /// embedding its norm and its dot products with the prototype and the
  /// contrasts, 16 lanes at a time (a day of 8 cameras is ~50 000 entries;
  /// the scalar path took longer than reading them), the embeddings split
  /// between the inference threads.
  public static func scores(_ embeddings: [[Float]], _ score: CalibratedScore) -> [Double] {
    let references = [score.prototype] + score.contrasts
    guard let width = embeddings.first?.count, width % 16 == 0, score.pictures.isEmpty,
      references.allSatisfy({ $0.count == width }), embeddings.allSatisfy({ $0.count == width })
    else { return embeddings.map(score.score) }
    let flat = references.flatMap { $0 }
    let chunks = width / 16
    var scores = [Double](repeating: 0, count: embeddings.count)
    scores.withUnsafeMutableBufferPointer { output in
      let address = UInt(bitPattern: output.baseAddress)  // each part writes its own range
      Parallelism.split(embeddings.count) { range in
        let output = UnsafeMutablePointer<Double>(bitPattern: address)!
        var dots = [Double](repeating: 0, count: references.count)
        flat.withUnsafeBufferPointer { referenceBuffer in
          referenceBuffer.withMemoryRebound(to: SIMD16<Float>.self) { lanes in
            for n in range {
              embeddings[n].withUnsafeBufferPointer { buffer in
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
              output[n] = score.score(prototypeSimilarity: dots[0], contrastSimilarities: dots[1...])
            }
          }
        }
      }
    }
    return scores
  }

  /// The re-ranker's answers: the first pass's best `candidates` entries,
  /// each with `radius` entries either side on its camera view (never across
  /// a gap longer than `maximumGap`), form runs that the re-ranker reads
  /// whole. Each entry of a run gets the score of its output (entries in no
  /// run were not candidates and score 0), and each boundary inside a run is
  /// a change hit of `transitionSeconds` around it, scored on its output.
  public static func reranked(
    _ entries: [StoredMemoryEntry], firstPass: [Double], by reranker: BidirectionalAdapter, _ score: CalibratedScore,
    candidates: Int = candidates, radius: Int = radius
  ) -> (entryScores: [Double], changes: [MemoryHit]) {
    // A stream: consecutive entries of one camera view without a gap.
    var stream = [Int](repeating: 0, count: entries.count)
    for i in entries.indices.dropFirst() {
      let (a, b) = (entries[i - 1], entries[i])
      let joined = a.camera == b.camera && a.region == b.region && b.start - a.end <= maximumGap
      stream[i] = stream[i - 1] + (joined ? 0 : 1)
    }
    var chosen = [Bool](repeating: false, count: entries.count)
    for candidate in firstPass.indices.sorted(by: { firstPass[$0] > firstPass[$1] }).prefix(candidates) {
      for i in max(0, candidate - radius)...min(entries.count - 1, candidate + radius)
      where stream[i] == stream[candidate] {
        chosen[i] = true
      }
    }
    var runs: [ClosedRange<Int>] = []
    var start = 0
    while start < entries.count {
      guard chosen[start] else {
        start += 1
        continue
      }
      var end = start
      while end + 1 < entries.count && chosen[end + 1] && stream[end + 1] == stream[start] { end += 1 }
      runs.append(start...end)
      start = end + 1
    }
    let outputs = Self.outputs(of: runs, entries, reranker)
    var entryScores = [Double](repeating: 0, count: entries.count)
    var changes: [MemoryHit] = []
    let width = reranker.dModel
    func rows(_ flat: [Float]) -> [[Float]] {
      (0..<(flat.count / width)).map { Array(flat[($0 * width)..<(($0 + 1) * width)]) }
    }
    for (run, output) in zip(runs, outputs) {
      for (offset, value) in Self.scores(rows(output.entries), score).enumerated() {
        entryScores[run.lowerBound + offset] = value
      }
      for (offset, value) in Self.scores(rows(output.boundaries), score).enumerated() {
        let (before, after) = (entries[run.lowerBound + offset], entries[run.lowerBound + offset + 1])
        let middle = (before.end + after.start) / 2
        changes.append(
          MemoryHit(
            camera: after.camera, region: after.region, start: middle - reranker.transitionSeconds / 2,
            end: middle + reranker.transitionSeconds / 2, score: value, entry: after.id, entries: 2, change: true))
      }
    }
    return (entryScores, changes)
  }

  /// The re-ranker over each run, the runs shared among the inference
  /// threads (each run is independent; the Mamba projections run on one
  /// OpenBLAS thread, see `Parallelism`).
  static func outputs(of runs: [ClosedRange<Int>], _ entries: [StoredMemoryEntry], _ reranker: BidirectionalAdapter)
    -> [(entries: [Float], boundaries: [Float])]
  {
    let inputs = runs.map { run in run.flatMap { Embedding.normalisedMean([entries[$0].embedding]) } }
    let results = Mutex([(entries: [Float], boundaries: [Float])](repeating: ([], []), count: runs.count))
    Parallelism.split(runs.count) { range in
      for index in range {
        let output = reranker.forward(inputs[index], length: runs[index].count)
        results.withLock { $0[index] = output }
      }
    }
    return results.withLock { $0 }
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
    return ranked(hits, top: top)
  }

  /// The best `top` hits, best first (earlier first on a tie).
  public static func ranked(_ hits: [MemoryHit], top: Int) -> [MemoryHit] {
    Array(hits.sorted { $0.score != $1.score ? $0.score > $1.score : $0.start < $1.start }.prefix(top))
  }
}
