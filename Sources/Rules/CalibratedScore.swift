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
  public let logitScale: Float

  /// `positives`: embeddings of the phrasings (each itself a prompt-ensemble
  /// average, if the caller uses templates) and example images.
  public init(positives: [[Float]], negatives: [[Float]], backgrounds: [[Float]], logitScale: Float) {
    precondition(!positives.isEmpty, "a rule needs at least one positive embedding")
    prototype = Embedding.normalisedMean(positives)
    contrasts = (negatives + backgrounds).map { Embedding.normalisedMean([$0]) }
    self.logitScale = logitScale
  }

  /// Probability (0–1) that `embedding` matches the rule rather than a contrast.
  public func score(_ embedding: [Float]) -> Double {
    let unit = Embedding.normalisedMean([embedding])
    let positive = Double(logitScale) * Embedding.dot(unit, prototype)
    let logits = contrasts.map { Double(logitScale) * Embedding.dot(unit, $0) }
    let top = max(positive, logits.max() ?? positive)
    let numerator = exp(positive - top)
    let denominator = logits.reduce(numerator) { $0 + exp($1 - top) }
    return numerator / denominator
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
  public init(
    positives: [[Float]], before: [[Float]], negatives: [[Float]], backgrounds: [[Float]], logitScale: Float
  ) {
    let beforePart = before.isEmpty ? [] : [Embedding.normalisedMean(before)]
    present = CalibratedScore(
      positives: positives, negatives: negatives + beforePart, backgrounds: backgrounds, logitScale: logitScale)
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
