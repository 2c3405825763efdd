import Core
import Tensor

/// Camera-like pictures made in code: smooth gradients, a few solid discs and
/// noise. Deterministic. Inputs of the reduced-precision accuracy checks
/// (the load-time check and the tests), at any model size.
public enum CheckPictures {
  public static func generated(count: Int, size: Int, seed: UInt64 = 42) -> [Frame] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { index in
      var pixels = [UInt8](repeating: 0, count: size * size * 3)
      let discs = (0..<3).map { _ in
        (
          x: Int(rng.nextFloat(in: 0...Float(size))), y: Int(rng.nextFloat(in: 0...Float(size))),
          radius: Int(rng.nextFloat(in: 0.05...0.25) * Float(size)),
          colour: (0..<3).map { _ in Float(rng.nextFloat(in: 0...255)) }
        )
      }
      for y in 0..<size {
        for x in 0..<size {
          for channel in 0..<3 {
            var value = Float((x * (channel + 1) + y * (3 - channel) + index * 40) % 256)
            for disc in discs
            where (x - disc.x) * (x - disc.x) + (y - disc.y) * (y - disc.y) < disc.radius * disc.radius {
              value = disc.colour[channel]
            }
            value += rng.nextFloat(in: -12...12)
            pixels[(y * size + x) * 3 + channel] = UInt8(max(0, min(255, value)))
          }
        }
      }
      return Frame(pts: Double(index), width: size, height: size, pixels: pixels, sourceWidth: size, sourceHeight: size)
    }
  }
}
