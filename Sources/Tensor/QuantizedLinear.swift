import CKernels

/// A linear layer's weight (out, in) quantised once at load to int8 per
/// output channel and packed for the kernels in `CKernels/int8_linear.c`;
/// each call quantises its input per row (token) to u8, accumulates in
/// int32 and dequantises with the bias and the residual add fused. The fp32
/// weight is not kept: a quarter of its memory.
public struct QuantizedLinear: Sendable {
  public let outFeatures: Int
  public let inFeatures: Int
  private let paddedIn: Int
  private let packed: [Int8]
  private let scales: [Float]
  private let columnSums: [Int32]

  /// Kernel variants, for tests that force each one this CPU can run.
  public enum Variant: Int32, Sendable, CaseIterable {
    case portable = 0
    case avx2 = 1
    case avx512VNNI = 2
    case amx = 3

    public var isSupported: Bool { ckernels_i8_supports(rawValue) != 0 }
  }

  /// The variant that runs now (forced, or the best this CPU has).
  public static var variant: Variant { Variant(rawValue: ckernels_i8_variant()) ?? .portable }

  /// Testing: run `variant` from now on (nil: detect). False when this CPU cannot run it.
  @discardableResult
  public static func force(_ variant: Variant?) -> Bool { ckernels_i8_force(variant?.rawValue ?? -1) != 0 }

  public init(weight: [Float], outFeatures: Int, inFeatures: Int) {
    precondition(weight.count == outFeatures * inFeatures, "weight must be (out, in)")
    self.outFeatures = outFeatures
    self.inFeatures = inFeatures
    paddedIn = ckernels_i8_padded_k(inFeatures)
    let columns = (outFeatures + Int(CKERNELS_I8_PANEL) - 1) / Int(CKERNELS_I8_PANEL) * Int(CKERNELS_I8_PANEL)
    var packed = [Int8](repeating: 0, count: columns * paddedIn)
    var scales = [Float](repeating: 0, count: columns)
    var columnSums = [Int32](repeating: 0, count: columns)
    packed.withUnsafeMutableBufferPointer { packed in
      scales.withUnsafeMutableBufferPointer { scales in
        columnSums.withUnsafeMutableBufferPointer { sums in
          ckernels_i8_pack(weight, outFeatures, inFeatures, packed.baseAddress!, scales.baseAddress!, sums.baseAddress!)
        }
      }
    }
    (self.packed, self.scales, self.columnSums) = (packed, scales, columnSums)
  }

  /// y (rows, out) = x (rows, in) · Wᵀ (+ bias) (+ y when `accumulate`), split
  /// over `Parallelism.threads` by column panels.
  public func apply(
    _ x: UnsafePointer<Float>, rows: Int, bias: UnsafePointer<Float>?, accumulate: Bool = false,
    into y: UnsafeMutablePointer<Float>
  ) {
    guard rows > 0 else { return }
    let paddedIn = paddedIn
    // Whole 16-row blocks: the AMX kernel loads full tiles (the quantiser zeroes the extra rows).
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: ckernels_i8_padded_rows(rows) * paddedIn) { quantised in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: rows) { rowScales in
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: rows) { zeros in
          ckernels_i8_quantize_rows(
            x, rows, inFeatures, quantised.baseAddress!, rowScales.baseAddress!, zeros.baseAddress!)
          packed.withUnsafeBufferPointer { packed in
            scales.withUnsafeBufferPointer { scales in
              columnSums.withUnsafeBufferPointer { sums in
                // Raw addresses cross into the worker closures; each part writes its own columns.
                let addresses = (
                  q: UInt(bitPattern: quantised.baseAddress), rowScales: UInt(bitPattern: rowScales.baseAddress),
                  zeros: UInt(bitPattern: zeros.baseAddress), packed: UInt(bitPattern: packed.baseAddress),
                  scales: UInt(bitPattern: scales.baseAddress), sums: UInt(bitPattern: sums.baseAddress),
                  bias: UInt(bitPattern: bias), y: UInt(bitPattern: y)
                )
                let outFeatures = outFeatures
                let panels = (outFeatures + Int(CKERNELS_I8_PANEL) - 1) / Int(CKERNELS_I8_PANEL)
                Parallelism.split(panels) { range in
                  ckernels_i8_linear(
                    UnsafePointer(bitPattern: addresses.q), UnsafePointer(bitPattern: addresses.rowScales),
                    UnsafePointer(bitPattern: addresses.zeros), rows, paddedIn,
                    UnsafePointer(bitPattern: addresses.packed), UnsafePointer(bitPattern: addresses.scales),
                    UnsafePointer(bitPattern: addresses.sums), outFeatures, UnsafePointer(bitPattern: addresses.bias),
                    accumulate ? 1 : 0, UnsafeMutablePointer(bitPattern: addresses.y), range.lowerBound,
                    range.upperBound)
                }
              }
            }
          }
        }
      }
    }
  }
}
