import CKernels

/// A linear layer's weight (out, in) converted once at load to bfloat16 and
/// packed for the kernels in `CKernels/bf16_linear.c`; each call converts its
/// input to bfloat16 and sums the products in fp32 (AVX-512 BF16's
/// `vdpbf16ps`). Half the memory of fp32, and bfloat16 keeps fp32's exponent
/// range, so unlike int8 it needs no scales and no outlier handling. The fp32
/// weight is not kept.
public struct BFloat16Linear: Sendable {
  public let outFeatures: Int
  public let inFeatures: Int
  private let paddedIn: Int
  private let packed: [UInt16]

  /// Kernel variants, for tests that force each one this CPU can run. The
  /// portable one computes the same bits, slowly: for CPUs without AVX-512 BF16.
  public enum Variant: Int32, Sendable, CaseIterable {
    case portable = 0
    case avx512 = 1
    case amx = 2

    public var isSupported: Bool { ckernels_bf16_supports(rawValue) != 0 }
  }

  /// The variant that runs now (forced, or the best this CPU has).
  public static var variant: Variant { Variant(rawValue: ckernels_bf16_variant()) ?? .portable }

  /// Testing: run `variant` from now on (nil: detect). False when this CPU cannot run it.
  @discardableResult
  public static func force(_ variant: Variant?) -> Bool { ckernels_bf16_force(variant?.rawValue ?? -1) != 0 }

  public init(weight: [Float], outFeatures: Int, inFeatures: Int) {
    precondition(weight.count == outFeatures * inFeatures, "weight must be (out, in)")
    self.outFeatures = outFeatures
    self.inFeatures = inFeatures
    paddedIn = ckernels_bf16_padded_k(inFeatures)
    let panel = Int(CKERNELS_BF16_PANEL)
    let columns = (outFeatures + panel - 1) / panel * panel
    var packed = [UInt16](repeating: 0, count: columns * paddedIn)
    packed.withUnsafeMutableBufferPointer { ckernels_bf16_pack(weight, outFeatures, inFeatures, $0.baseAddress!) }
    self.packed = packed
  }

  /// y (rows, out) = x (rows, in) · Wᵀ (+ bias) (+ y when `accumulate`), split
  /// over `Parallelism.threads` by column panels.
  public func apply(
    _ x: UnsafePointer<Float>, rows: Int, bias: UnsafePointer<Float>?, accumulate: Bool = false,
    into y: UnsafeMutablePointer<Float>
  ) {
    guard rows > 0 else { return }
    let paddedIn = paddedIn
    // Whole 16-row blocks: the AMX kernel loads full tiles (the conversion zeroes the extra rows).
    withUnsafeTemporaryAllocation(of: UInt16.self, capacity: ckernels_bf16_padded_rows(rows) * paddedIn) { converted in
      ckernels_bf16_convert_rows(x, rows, inFeatures, converted.baseAddress!)
      packed.withUnsafeBufferPointer { packed in
        // Raw addresses cross into the worker closures; each part writes its own columns.
        let addresses = (
          x: UInt(bitPattern: converted.baseAddress), packed: UInt(bitPattern: packed.baseAddress),
          bias: UInt(bitPattern: bias), y: UInt(bitPattern: y)
        )
        let outFeatures = outFeatures
        let panels = (outFeatures + Int(CKERNELS_BF16_PANEL) - 1) / Int(CKERNELS_BF16_PANEL)
        Parallelism.split(panels) { range in
          ckernels_bf16_linear(
            UnsafePointer(bitPattern: addresses.x), rows, paddedIn, UnsafePointer(bitPattern: addresses.packed),
            outFeatures, UnsafePointer(bitPattern: addresses.bias), accumulate ? 1 : 0,
            UnsafeMutablePointer(bitPattern: addresses.y), range.lowerBound, range.upperBound)
        }
      }
    }
  }
}
