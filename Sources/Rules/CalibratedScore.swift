import Core

#if canImport(Glibc)
  import Glibc
#endif

/// A rule's calibrated score for one embedding (docs/RULES.md, "Score").
/// Raw CLIP cosines cluster tightly and drift with light and scene, so the
/// score is the softmax probability, at the model's logit scale, of the
/// rule's prototype (its phrasings' — and example images' — embeddings
/// averaged) against each negative phrasing and each generic background
/// prompt. A smoothing window (median of the last few scores, as Frigate does
/// for detector scores) removes single-frame spikes. Pure.
public struct CalibratedScore: Sendable {
  /// L2-normalised mean of the positive embeddings.
  public let prototype: [Float]
  /// Negatives then backgrounds, each L2-normalised.
  public let contrasts: [[Float]]
  /// False-alarm pictures, compared on the text scale (see `PictureContrast`).
  public let pictures: [PictureContrast]
  public let logitScale: Float

  /// `positives`: embeddings of the phrasings (each itself a prompt-ensemble
  /// average, if the caller uses templates) and example images.
  public init(
    positives: [[Float]], negatives: [[Float]], backgrounds: [[Float]], pictures: [PictureContrast] = [],
    logitScale: Float
  ) {
    precondition(!positives.isEmpty, "a rule needs at least one positive embedding")
    prototype = Embedding.normalisedMean(positives)
    contrasts = (negatives + backgrounds).map { Embedding.normalisedMean([$0]) }
    self.pictures = pictures
    self.logitScale = logitScale
  }

  /// Probability (0–1) that `embedding` matches the rule rather than a contrast.
  public func score(_ embedding: [Float]) -> Double {
    let unit = Embedding.normalisedMean([embedding])
    return score(
      prototypeSimilarity: Embedding.dot(unit, prototype),
      contrastSimilarities: contrasts.map { Embedding.dot(unit, $0) },
      pictureSimilarities: pictures.map { $0.similarity(unit) })
  }

  /// The same score from a unit embedding's similarities computed elsewhere
  /// (a search scores thousands of stored entries in one matrix product):
  /// to the prototype, to each of `contrasts` in order, and to each
  /// false-alarm picture's scale. Allocates nothing.
  @inlinable public func score<Similarities: Collection<Double>>(
    prototypeSimilarity: Double, contrastSimilarities: Similarities, pictureSimilarities: [Double] = []
  ) -> Double {
    precondition(contrastSimilarities.count == contrasts.count && pictureSimilarities.count == pictures.count)
    let scale = Double(logitScale)
    let positive = scale * prototypeSimilarity
    var top = positive
    for similarity in contrastSimilarities { top = max(top, scale * similarity) }
    for similarity in pictureSimilarities { top = max(top, scale * similarity) }
    let numerator = exp(positive - top)
    var denominator = numerator
    for similarity in contrastSimilarities { denominator += exp(scale * similarity - top) }
    for similarity in pictureSimilarities { denominator += exp(scale * similarity - top) }
    return numerator / denominator
  }
}

/// A false alarm as a contrast of a rule: what the rule scored at the
/// episode's best frame (its rolling embedding, or the picture alone when
/// none was kept). Its similarity to a frame is embedding–embedding, which
/// lies on another scale than the embedding–text similarities of the
/// prototype and the other contrasts. It is brought onto the prototype's
/// scale by the spread of both over reference inputs (the model's built-in
/// check pictures, through the same path): one reference deviation of
/// similarity to the false alarm counts as one deviation of similarity to
/// the prototype. Anchored at the false alarm itself, where it weighs what
/// the prototype scored there plus `margin` deviations: a frame as close to
/// the false alarm as that cannot raise the rule, one clearly closer to the
/// rule's text than the false alarm was still can, and a frame far from it
/// is not touched.
public struct PictureContrast: Sendable, Equatable {
  /// The picture's embedding, L2-normalised.
  public let embedding: [Float]
  /// cos(frame, picture) ↦ slope · cos + offset, on the prototype's scale.
  public let slope: Double
  public let offset: Double
  /// How far above the rule's own match a false alarm weighs at itself, in
  /// deviations of the references' similarity to the prototype. Chosen on
  /// validation videos of the synthetic world with rules as operators type
  /// them (Benchmarks/eval-feedback, seed 13: 0 leaves 26 of 32 false alarms,
  /// 3 leaves 3 with recall as it was, 5 leaves none and a quarter of the
  /// recall), then measured on fresh ones (seed 17; docs/BENCHMARKS.md). On
  /// the default model's tuned rules, whose few false alarms sit next to true
  /// events, any margin from 0 up costs recall: see docs/RULES.md.
  public static let margin = 3.0

  /// `references`: embeddings of pictures that show nothing in particular
  /// (at least two, not all alike); `prototype`: the rule's, L2-normalised.
  public init(picture: [Float], references: [[Float]], prototype: [Float]) {
    let unit = Embedding.normalisedMean([picture])
    embedding = unit
    let units = references.map { Embedding.normalisedMean([$0]) }
    let toPicture = Self.meanAndDeviation(units.map { Embedding.dot($0, unit) })
    let toText = Self.meanAndDeviation(units.map { Embedding.dot($0, prototype) })
    slope = toText.deviation / max(toPicture.deviation, 1e-6)
    // Anchored at the false alarm itself: there it weighs what the rule's
    // prototype scored plus `margin` text deviations, and one reference
    // deviation further away, one text deviation less.
    offset = Embedding.dot(unit, prototype) - slope + Self.margin * toText.deviation
  }

  /// The similarity of a unit-length embedding to the picture, on the prototype's scale.
  public func similarity(_ unit: [Float]) -> Double { slope * Embedding.dot(unit, embedding) + offset }

  private static func meanAndDeviation(_ values: [Double]) -> (mean: Double, deviation: Double) {
    let mean = values.reduce(0, +) / Double(max(values.count, 1))
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(values.count - 1, 1))
    return (mean, variance.squareRoot())
  }
}

/// Everything a rule is scored with on one frame: its `text` against its
/// contrasts and, for a transition rule, its `before` the same way. The two
/// halves of a transition are also each other's contrast: the state changed,
/// so a frame that looks like what held before does not count as the
/// present (a standing person is not "lying on the floor"), and vice versa.
public struct RuleScorer: Sendable {
  public let present: CalibratedScore
  public let before: CalibratedScore?

  /// Embeddings of the rule's parts, as `CalibratedScore` takes them; `before` empty: a plain rule.
  /// `falseAlarms`: what the present must not match, each with the references it is standardised against
  /// (`PictureContrast`).
  public init(
    positives: [[Float]], before: [[Float]], negatives: [[Float]], backgrounds: [[Float]],
    falseAlarms: [(embedding: [Float], references: [[Float]])] = [], logitScale: Float
  ) {
    let beforePart = before.isEmpty ? [] : [Embedding.normalisedMean(before)]
    let prototype = Embedding.normalisedMean(positives)
    present = CalibratedScore(
      positives: positives, negatives: negatives + beforePart, backgrounds: backgrounds,
      pictures: falseAlarms.map {
        PictureContrast(picture: $0.embedding, references: $0.references, prototype: prototype)
      },
      logitScale: logitScale)
    self.before =
      before.isEmpty
      ? nil
      : CalibratedScore(
        positives: before, negatives: negatives + [present.prototype], backgrounds: backgrounds,
        logitScale: logitScale)
  }
}

/// Median of the scores of the last `seconds` of stream time (the present
/// one included): defined in seconds so that a rule means the same at any
/// frame rate. The default, 0.75 s, is three frames at the embedded model's
/// 4 fps; at 2 fps it is two frames (their mean), at 8 fps six. Memory is
/// bounded by the camera's rate (at most 30 fps) times the window.
public struct ScoreSmoother: Sendable {
  public static let defaultSeconds = 0.75
  public let seconds: Double
  private var recent: [(time: Double, score: Double)] = []

  public init(seconds: Double = ScoreSmoother.defaultSeconds) {
    precondition(seconds > 0)
    self.seconds = seconds
  }

  /// The smoothed score at stream time `time` (non-decreasing from call to call).
  public mutating func add(_ score: Double, time: Double) -> Double {
    recent.append((time, score))
    // A hair of slack: timestamps in a 90 kHz clock are not exact multiples of the frame interval.
    recent.removeAll { time - $0.time >= seconds - 1e-6 }
    if recent.isEmpty { recent.append((time, score)) }
    let sorted = recent.map(\.score).sorted()
    return sorted.count % 2 == 1
      ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
  }
}
