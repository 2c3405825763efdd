import CLIP
import Config
import Core
import Foundation
import Rules
import Tensor
import Video

/// `[model] precision` resolved once at load. `fp32` is the reference;
/// `int8` and `bf16` are what the operator asked for (their accuracy is still
/// measured and logged); `auto` takes int8 where this CPU has an int8 kernel
/// faster than fp32 (x86-64 with AVX-512 VNNI or AVX2) and the accuracy check
/// passes, else bf16 where it has AVX-512 BF16 and the same check passes, else
/// fp32 — a fixed order, never chosen by timing.
///
/// The check embeds built-in inputs with both models — frames of the demo
/// camera video, camera-like generated pictures, and the example rules'
/// phrasings and background scenes in a prompt template — and compares each
/// int8 embedding with its fp32 twin: the worst cosine must reach 0.998.
public enum PrecisionChoice {
  public static let minimumCosine = 0.998

  /// What `auto` tries, in this order, before fp32 on this CPU: the reduced
  /// precisions it has fast kernels for.
  public static var autoCandidates: [Precision] {
    (QuantizedLinear.variant == .portable ? [] : [.int8]) + (BFloat16Linear.variant == .portable ? [] : [.bf16])
  }

  /// The example rules' phrasings (rules/) and the background scenes, each
  /// also in a camera template: what rule embeddings are made of.
  static let phrases =
    [
      "a package left at the front door", "a person walking in a dark yard at night", "a person falling down",
      "someone collapsing onto the floor", "smoke rising in a room", "flames and fire", "a car parked in a driveway",
    ] + Prompts.backgrounds

  /// The worst agreement between a reduced-precision model and fp32 on the check inputs.
  public struct Agreement: Sendable, CustomStringConvertible {
    public var cosine: Double
    /// The input with the worst cosine.
    public var input: String
    public var inputs: Int
    public var description: String {
      String(format: "worst cosine to fp32 %.4f over %d inputs (%@)", cosine, inputs, input)
    }
  }

  /// Loads the model in the precision `setting` resolves to; `load` reads the
  /// checkpoint in a given precision. Logs what was chosen and why.
  public static func load(
    _ setting: Configuration.ModelPrecision, minimumCosine: Double = minimumCosine, log: (String) -> Void,
    _ load: (Precision) throws -> CLIPModel
  ) throws -> CLIPModel {
    let candidates: [Precision] =
      switch setting {
      case .fp32: []
      case .int8: [.int8]
      case .bf16: [.bf16]
      case .auto: autoCandidates
      }
    guard !candidates.isEmpty else { return try load(.fp32) }
    var reference = try load(.fp32)
    var failures: [String] = []
    for candidate in candidates {
      var reduced = try load(candidate)
      let agreement = compare(&reduced, with: &reference)
      if agreement.cosine >= minimumCosine {
        log((["model: \(candidate) (\(agreement))"] + failures).joined(separator: "; "))
        return reduced
      }
      if setting != .auto {
        log("model: \(candidate) as configured, although its \(agreement) is under \(minimumCosine)")
        return reduced
      }
      failures.append("\(candidate) failed its accuracy check (\(agreement), under \(minimumCosine))")
    }
    log("model: fp32: " + failures.joined(separator: "; "))
    return reference
  }

  /// Embeds the check inputs with both models.
  public static func compare(_ model: inout CLIPModel, with reference: inout CLIPModel) -> Agreement {
    var worst = Agreement(cosine: 1, input: "", inputs: 0)
    func record(_ a: [Float], _ b: [Float], _ input: String) {
      let cosine = Embedding.cosine(a, b)
      worst.inputs += 1
      if cosine < worst.cosine || worst.input.isEmpty { (worst.cosine, worst.input) = (cosine, input) }
    }
    let frames = checkFrames(geometry: model.geometry)
    for (index, (a, b)) in zip(model.embed(frames: frames), reference.embed(frames: frames)).enumerated() {
      record(a, b, "check picture \(index + 1)")
    }
    let texts = phrases.flatMap { [$0, "a security camera image of \($0)"] }
    for (text, (a, b)) in zip(texts, zip(model.embed(texts: texts), reference.embed(texts: texts))) {
      record(a, b, "\"\(text)\"")
    }
    return worst
  }

  /// The demo camera's check frames (embedded in the binary) and generated
  /// camera-like pictures, all at the model's geometry.
  static func checkFrames(geometry: PictureGeometry) -> [Frame] {
    var frames: [Frame] = []
    var options = SourceOptions()
    options.geometry = geometry
    options.sampleRate = nil
    if let demo = try? EmbeddedModel.withFiles(
      ["check-frames.mkv"],
      { directory in
        let source = try VideoSource(url: directory + "/check-frames.mkv", options: options)
        var frames: [Frame] = []
        while let frame = try source.nextFrame() { frames.append(frame) }
        return frames
      })
    {
      frames += demo
    }
    return frames + CheckPictures.generated(count: 4, size: geometry.size)
  }
}
