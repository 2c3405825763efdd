import CLIP
import Config
import Core
import Foundation
import Mamba
import ModelIO
import Rules
import Tensor
import Video

/// The models and everything derived from them that all cameras share: the
/// CLIP towers, the temporal model's weights, and per-rule calibrated scorers
/// whose text embeddings are computed once per rule (again only when the rule
/// changes). Used by one inference thread at a time.
public final class Engine: @unchecked Sendable {
  public private(set) var clip: CLIPModel
  /// Trained adapter, or nil for the training-free pooling.
  public let adapter: TemporalAdapter?
  /// `monitor search`'s bidirectional re-ranker (`[model] retrospective`), or
  /// nil: the search scores the stored entries themselves.
  public let retrospective: BidirectionalAdapter?
  /// Shown in events so subscribers can tell models apart.
  public let modelName: String
  /// Identity of the model files (`ModelFingerprint`): a saved temporal state is restored only under the same one.
  public let fingerprint: String
  /// Rules' example pictures, decoded off the inference thread (see `ExamplePictures`).
  public let examples: ExamplePictures
  private var textCache: [String: [Float]] = [:]
  private var scorers: [String: (rule: Rule, scorer: RuleScorer)] = [:]
  /// Rules whose scorer could not be built, as they were then.
  private var failures: [String: Rule] = [:]
  private var problems: [String] = []
  private var backgrounds: [[Float]]?
  /// The built-in check pictures' embeddings, and the temporal model's
  /// rolling embeddings over them (per frame, per horizon): what false alarms
  /// are standardised against (`PictureContrast`).
  private var references: (pictures: [[Float]], rolling: [[[Float]]])?

  /// Loads the CLIP directory and the temporal weights. No CLIP directory: the
  /// model embedded in the binary, with its trained temporal adapter unless
  /// `temporalFile` names another. A CLIP directory without `temporalFile`:
  /// the training-free multi-horizon pooling. `precision` is resolved by
  /// `PrecisionChoice`, which logs what it chose through `log`.
  /// `retrospectiveFile`: the search's re-ranker (the embedded model's own
  /// when nil and no CLIP directory is given; none otherwise). Neither it nor
  /// the search's use of it enters the fingerprint: the stored memory is the
  /// CLIP model's, whatever re-ranks it.
  public convenience init(
    clipDirectory: String?, temporalFile: String?, retrospectiveFile: String? = nil,
    precision: Configuration.ModelPrecision = .fp32, log: (String) -> Void = { _ in }
  ) throws {
    guard let clipDirectory else {
      let (clip, adapter, retrospective, fingerprint) = try EmbeddedModel.withFiles { directory in
        let temporal = temporalFile ?? directory + "/" + EmbeddedModel.temporalFile
        return (
          try PrecisionChoice.load(precision, log: log) { try CLIPModel(directory: directory, precision: $0) },
          try Self.adapter(temporal),
          try Self.retrospective(retrospectiveFile ?? directory + "/" + EmbeddedModel.retrospectiveFile),
          Self.fingerprint(clipDirectory: directory, temporalFile: temporal)
        )
      }
      try Self.check(adapter, fits: clip, file: temporalFile ?? "embedded model")
      try Self.check(retrospective, fits: clip, file: retrospectiveFile ?? "embedded model")
      self.init(
        clip: clip, adapter: adapter, retrospective: retrospective, modelName: EmbeddedModel.name + "+mamba",
        fingerprint: fingerprint)
      return
    }
    let clip = try PrecisionChoice.load(precision, log: log) { try CLIPModel(directory: clipDirectory, precision: $0) }
    let adapter = try temporalFile.map { try Self.adapter($0) }
    if let adapter { try Self.check(adapter, fits: clip, file: temporalFile!) }
    let retrospective = try retrospectiveFile.map { try Self.retrospective($0) }
    if let retrospective { try Self.check(retrospective, fits: clip, file: retrospectiveFile!) }
    self.init(
      clip: clip, adapter: adapter, retrospective: retrospective,
      modelName: URL(fileURLWithPath: clipDirectory).lastPathComponent + (adapter == nil ? "+pooling" : "+mamba"),
      fingerprint: Self.fingerprint(clipDirectory: clipDirectory, temporalFile: temporalFile))
  }

  private static func fingerprint(clipDirectory: String, temporalFile: String?) -> String {
    ModelFingerprint.of(
      ["config.json", "preprocessor_config.json", "model.safetensors"].map { clipDirectory + "/" + $0 }
        + (temporalFile.map { [$0] } ?? []))
  }

  private static func adapter(_ file: String) throws -> TemporalAdapter {
    try TemporalAdapter(file: try SafeTensors(path: file))
  }

  private static func retrospective(_ file: String) throws -> BidirectionalAdapter {
    try BidirectionalAdapter(file: try SafeTensors(path: file))
  }

  private static func check(_ reranker: BidirectionalAdapter, fits clip: CLIPModel, file: String) throws {
    guard reranker.dModel == clip.config.projectionDim else {
      throw ModelError(
        file: file,
        "retrospective re-ranker width \(reranker.dModel) does not match the CLIP embedding size \(clip.config.projectionDim)"
      )
    }
  }

  private static func check(_ adapter: TemporalAdapter, fits clip: CLIPModel, file: String) throws {
    guard adapter.config.dModel == clip.config.projectionDim else {
      throw ModelError(
        file: file,
        "temporal model width \(adapter.config.dModel) does not match the CLIP embedding size \(clip.config.projectionDim)"
      )
    }
  }

  /// Models already in memory (benchmarks, the embedded default model).
  /// `fingerprint`: of the files the models came from (default: the name only).
  public init(
    clip: CLIPModel, adapter: TemporalAdapter?, retrospective: BidirectionalAdapter? = nil, modelName: String,
    fingerprint: String? = nil
  ) {
    self.clip = clip
    self.adapter = adapter
    self.retrospective = retrospective
    // Subscribers can tell an int8 model's events from fp32's.
    self.modelName = clip.precision == .fp32 ? modelName : modelName + "+" + clip.precision.rawValue
    self.fingerprint = fingerprint ?? modelName
    examples = ExamplePictures(
      geometry: clip.geometry, model: fingerprint ?? modelName, dimension: clip.config.projectionDim)
  }

  /// Frames per second a camera without `fps` samples at: the trained
  /// adapter's rate, else the training-free pooling's.
  public var nominalRate: Double { adapter.map { 1 / $0.nominalInterval } ?? Self.poolingRate }
  public static let poolingRate = 2.0

  /// A line for the log when `fps` is outside the rates the adapter was
  /// trained on (the pooling takes any rate); nil when it is not.
  public func rateWarning(camera: String, fps: Double) -> String? {
    guard let adapter, !adapter.trainedIntervals.contains(1 / fps) else { return nil }
    func rate(_ interval: Double) -> String { String(format: "%g", 1 / interval) }
    let trained = adapter.trainedIntervals
    let range =
      trained.lowerBound == trained.upperBound
      ? rate(trained.lowerBound) : "\(rate(trained.upperBound))–\(rate(trained.lowerBound))"
    return
      "camera '\(camera)': fps \(String(format: "%g", fps)) is outside the rates the temporal model was trained at "
      + "(\(range) fps): its scores may be off; leave fps out to sample at \(String(format: "%g", nominalRate)) fps"
  }

  /// A line for the log when `[memory]` stores blocks of another shape than
  /// the re-ranker was trained on (nil when they agree, or nothing is known).
  public func retrospectiveWarning(memory: Configuration.Memory) -> String? {
    guard let retrospective, memory.enabled, let seconds = retrospective.trainedBlockSeconds,
      let entries = retrospective.trainedEntriesPerBlock,
      seconds != memory.blockSeconds || entries != memory.entriesPerBlock
    else { return nil }
    func shape(_ seconds: Double, _ entries: Int) -> String { String(format: "%g s × %d entries", seconds, entries) }
    return
      "[memory] stores blocks of \(shape(memory.blockSeconds, memory.entriesPerBlock)), but the search's re-ranker "
      + "was trained on \(shape(seconds, entries)): its answers may be off; train one for these "
      + "(tools/train-adapter --retrospective --block-seconds \(String(format: "%g", memory.blockSeconds)) "
      + "--entries \(memory.entriesPerBlock))"
  }

  public var imageSize: Int { clip.config.imageSize }
  /// The geometry camera pictures are converted with (the CLIP checkpoint's).
  public var geometry: PictureGeometry { clip.geometry }

  /// The geometry a camera region is cut with: all of it at the model's
  /// input, padded with the model's mean colour (or squashed, as the model squashes).
  public func geometry(of region: PictureGeometry.Region) -> PictureGeometry {
    geometry.cutting(region, pad: clip.imageMean.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) })
  }

  /// Frames (already `imageSize` square) → embeddings, batched.
  public func embed(_ frames: [Frame]) -> [[Float]] { clip.embed(frames: frames) }

  /// Pictures (already `imageSize` square: frames, regions) → embeddings, batched.
  public func embed(pictures: [Picture]) -> [[Float]] { clip.embed(pictures: pictures) }

  /// The prompt-ensemble embedding of a phrase, cached.
  public func text(_ phrase: String) -> [Float] {
    if let cached = textCache[phrase] { return cached }
    let result = Embedding.normalisedMean(clip.embed(texts: Prompts.expand(phrase)))
    textCache[phrase] = result
    return result
  }

  /// One clip as the synthetic benchmark scores it: its frames sampled at
  /// `fps`, their embeddings, their normalised mean (meanP) and the trained
  /// adapter's normalised output at the last frame (nil without an adapter),
  /// from a fresh temporal state.
  public struct Clip: Sendable {
    public var frames: [Frame]
    public var embeddings: [[Float]]
    public var meanP: [Float]
    public var temporal: [Float]?
  }

  public func embedClip(url: String, fps: Double) throws -> Clip {
    var options = SourceOptions()
    options.geometry = geometry
    options.sampleRate = fps
    let source = try VideoSource(url: url, options: options)
    var frames: [Frame] = []
    while let frame = try source.nextFrame() { frames.append(frame) }
    guard !frames.isEmpty else { throw ConfigError(file: url, line: 0, "clip has no frames") }
    let embeddings = embed(frames)
    var temporal: [Float]?
    if var adapter {
      var state = adapter.makeState()
      var output = [Float](repeating: 0, count: embeddings[0].count)
      for (frame, e) in zip(frames, embeddings) { adapter.step(e, time: frame.pts, state: &state, into: &output) }
      temporal = Embedding.normalisedMean([output])
    }
    return Clip(
      frames: frames, embeddings: embeddings, meanP: Embedding.normalisedMean(embeddings), temporal: temporal)
  }

  /// The rule's scorers, rebuilt only when the rule's text, before, negatives
  /// or examples change; nil when it cannot be built (an example image that does
  /// not decode). A failure is remembered with the rule, so it is not retried
  /// on every frame, and reported once through `takeProblems()`.
  public func scorer(for rule: Rule) -> RuleScorer? {
    if let cached = scorers[rule.id], cached.rule.hasSameScoringInputs(as: rule) { return cached.scorer }
    if let failed = failures[rule.id], failed.hasSameScoringInputs(as: rule) { return nil }
    do {
      let scorer = try buildScorer(for: rule)
      scorers[rule.id] = (rule, scorer)
      failures[rule.id] = nil
      return scorer
    } catch {
      failures[rule.id] = rule
      problems.append("rule '\(rule.id)' cannot be scored and is skipped: \(error)")
      return nil
    }
  }

  /// SigLIP's own probability that `embedding` shows `rule`'s text,
  /// σ(scale · cos(embedding, prototype) + bias), for reference beside the
  /// calibrated score (where the bias cancels); nil for CLIP models or a rule
  /// that cannot be scored.
  public func sigmoidProbability(_ embedding: [Float], rule: Rule) -> Double? {
    guard let bias = clip.logitBias, let scorer = scorer(for: rule) else { return nil }
    let cosine = Embedding.dot(Embedding.normalisedMean([embedding]), scorer.present.prototype)
    return 1 / (1 + exp(-(Double(clip.logitScale) * cosine + Double(bias))))
  }

  /// Problems found since the last call (for the log), oldest first.
  public func takeProblems() -> [String] {
    defer { problems = [] }
    return problems
  }

  private func buildScorer(for rule: Rule) throws -> RuleScorer {
    if backgrounds == nil { backgrounds = Prompts.backgrounds.map { text($0) } }
    var positives = rule.text.map { text($0) }
    for path in rule.examples { positives.append(contentsOf: embed([try examples.picture(path)])) }
    // A false alarm is what the rule scored at its best frame (its saved
    // rolling embedding) when this model saved one; else the picture alone.
    var falseAlarms: [(embedding: [Float], references: [[Float]])] = []
    for path in rule.falseAlarms {
      let references = falseAlarmReferences()
      if let state = examples.rollingState(path) {
        falseAlarms.append((rule.embedding(in: state), references.rolling.map { rule.embedding(in: $0) }))
      } else {
        falseAlarms.append((embed([try examples.picture(path)])[0], references.pictures))
      }
    }
    return RuleScorer(
      positives: positives, before: rule.before.map { text($0) }, negatives: rule.negatives.map { text($0) },
      backgrounds: backgrounds!, falseAlarms: falseAlarms, logitScale: clip.logitScale)
  }

  /// Computed once: the check pictures through CLIP, and through CLIP and a
  /// fresh temporal state at the model's own rate, as a camera would step it.
  private func falseAlarmReferences() -> (pictures: [[Float]], rolling: [[[Float]]]) {
    if let references { return references }
    let pictures = embed(PrecisionChoice.checkFrames(geometry: clip.geometry))
    var state = CameraState(camera: "references", engine: self, wallClock: { 0 })
    let rolling = pictures.enumerated().map { state.advance($1, time: Double($0) / nominalRate) }
    references = (pictures, rolling)
    return (pictures, rolling)
  }
}

extension Rule {
  /// Whether the embeddings a scorer is built from are the same.
  fileprivate func hasSameScoringInputs(as other: Rule) -> Bool {
    text == other.text && before == other.before && negatives == other.negatives && examples == other.examples
      && falseAlarms == other.falseAlarms
  }
}
