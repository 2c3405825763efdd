import Core

/// A cheap test of whether a frame changed enough to be worth embedding:
/// a downscaled grey thumbnail is compared with the last frame that passed,
/// and the frame passes when enough cells changed by more than a grey-level
/// threshold (the fraction measure keeps a small moving person visible where
/// a mean difference would dilute it). Pure; about 150k additions per frame.
public struct MotionGate: Sendable {
  public struct Settings: Sendable, Equatable {
    /// A cell counts as changed when its mean grey level moved by more than this (0–255).
    public var cellThreshold: Double = 10
    /// The frame passes when at least this fraction of cells changed.
    public var minChangedFraction: Double = 0.005
    /// Even a still scene passes a frame this often (seconds), so the temporal
    /// model keeps seeing the scene.
    public var maxSkip: Double = 10
    /// Thumbnail side in cells.
    public var grid: Int = 32

    public init() {}
  }

  public struct Decision: Sendable, Equatable {
    public var passed: Bool
    /// Fraction of cells that changed against the reference, 0–1.
    public var changedFraction: Double
  }

  public let settings: Settings
  private var reference: [Float] = []
  private var referencePTS = -Double.infinity
  private var thumbnail: [Float]

  public init(settings: Settings = Settings()) {
    precondition(settings.grid > 0)
    self.settings = settings
    thumbnail = [Float](repeating: 0, count: settings.grid * settings.grid)
  }

  public mutating func evaluate(_ frame: Frame) -> Decision { evaluate(frame.picture, pts: frame.pts) }

  /// The decision for `picture` shown at stream time `pts` (a region of a frame has a gate of its own).
  public mutating func evaluate(_ frame: Picture, pts: Double) -> Decision {
    computeThumbnail(frame)
    let fraction = reference.isEmpty ? 1 : changedFraction()
    let passed =
      reference.isEmpty || fraction >= settings.minChangedFraction || pts - referencePTS >= settings.maxSkip
    if passed {
      swap(&reference, &thumbnail)
      if thumbnail.count != reference.count { thumbnail = reference }
      referencePTS = pts
    }
    return Decision(passed: passed, changedFraction: fraction)
  }

  private func changedFraction() -> Double {
    var changed = 0
    let threshold = Float(settings.cellThreshold)
    for i in 0..<thumbnail.count where abs(thumbnail[i] - reference[i]) > threshold { changed += 1 }
    return Double(changed) / Double(thumbnail.count)
  }

  /// Box-averaged BT.601 luma on a grid×grid thumbnail.
  private mutating func computeThumbnail(_ frame: Picture) {
    let grid = settings.grid
    var sums = [Float](repeating: 0, count: grid * grid)
    var counts = [Float](repeating: 0, count: grid * grid)
    frame.pixels.withUnsafeBufferPointer { pixels in
      for y in 0..<frame.height {
        let row = (y * grid / frame.height) * grid
        for x in 0..<frame.width {
          let i = (y * frame.width + x) * 3
          let luma = 0.299 * Float(pixels[i]) + 0.587 * Float(pixels[i + 1]) + 0.114 * Float(pixels[i + 2])
          let cell = row + x * grid / frame.width
          sums[cell] += luma
          counts[cell] += 1
        }
      }
    }
    for i in 0..<thumbnail.count { thumbnail[i] = counts[i] > 0 ? sums[i] / counts[i] : 0 }
  }
}
