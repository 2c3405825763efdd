import Core
import ModelIO

/// CLIP's pixel normalisation: x = (value / 255 − mean) / std per channel,
/// from `preprocessor_config.json` (read by `CLIPFiles`; OpenAI's values when absent). Resizing and
/// the centre crop happen earlier, in the Video module.
public struct Preprocessing: Sendable, Equatable {
  public var mean: [Float]
  public var std: [Float]

  public static let openAI = Preprocessing(
    mean: [0.481_454_66, 0.457_827_5, 0.408_210_73], std: [0.268_629_54, 0.261_302_58, 0.275_777_11])

  public init(mean: [Float], std: [Float]) {
    precondition(mean.count == 3 && std.count == 3 && std.allSatisfy { $0 > 0 })
    self.mean = mean
    self.std = std
  }

  /// im2col: the frame's P×P patches, row-major over the patch grid, each as
  /// (channel, dy, dx) — the layout of `patch_embedding.weight` (H, 3, P, P).
  func patches(of frame: Picture, patchSize p: Int, into out: UnsafeMutablePointer<Float>) {
    let side = frame.width / p
    let scale = (0..<3).map { 1 / (255 * std[$0]) }
    let offset = (0..<3).map { -mean[$0] / std[$0] }
    frame.pixels.withUnsafeBufferPointer { pixels in
      var index = 0
      for py in 0..<side {
        for px in 0..<side {
          for c in 0..<3 {
            for dy in 0..<p {
              let row = ((py * p + dy) * frame.width + px * p) * 3 + c
              for dx in 0..<p {
                out[index] = Float(pixels[row + dx * 3]) * scale[c] + offset[c]
                index += 1
              }
            }
          }
        }
      }
    }
  }
}
