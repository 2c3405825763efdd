import CKernels

/// A linear layer's weight (out, in), packed once at load into 32-column
/// panels for the AVX2 kernel in `CKernels`, so per-frame GEMMs at small row
/// counts do not re-pack it on every call as OpenBLAS must. On CPUs without
/// AVX-512F or AVX2+FMA it keeps the plain layout and calls `cblas_sgemm`.
public struct PackedLinear: Sendable {
  public let outFeatures: Int
  public let inFeatures: Int
  /// Packed panels, or the plain (out, in) weight on the fallback path.
  private let storage: [Float]
  public let isPacked: Bool

  /// Whether this CPU runs the packed kernels.
  public static let packedSupported: Bool = ckernels_packed_supported() != 0

  /// Testing: run the AVX2 kernel even where AVX-512 is available, so both are exercised.
  public static func limitToAVX2(_ limit: Bool) { ckernels_limit_to_avx2(limit ? 1 : 0) }

  public init(weight: [Float], outFeatures: Int, inFeatures: Int, pack: Bool = PackedLinear.packedSupported) {
    precondition(weight.count == outFeatures * inFeatures, "weight must be (out, in)")
    self.outFeatures = outFeatures
    self.inFeatures = inFeatures
    isPacked = pack && Self.packedSupported
    if isPacked {
      let width = Int(CKERNELS_PANEL)
      let panels = (outFeatures + width - 1) / width
      var packed = [Float](repeating: 0, count: panels * width * inFeatures)
      packed.withUnsafeMutableBufferPointer { ckernels_pack(weight, outFeatures, inFeatures, $0.baseAddress!) }
      storage = packed
    } else {
      storage = weight
    }
  }

  /// y (rows, out) = x (rows, in) · Wᵀ (+ bias) (+ y when `accumulate`), split
  /// over `Parallelism.threads` by column panels.
  public func apply(
    _ x: UnsafePointer<Float>, rows: Int, bias: UnsafePointer<Float>?, accumulate: Bool = false,
    into y: UnsafeMutablePointer<Float>
  ) {
    guard isPacked else {
      storage.withUnsafeBufferPointer { w in
        if accumulate {
          BLAS.linearAdding(
            x, rows: rows, inFeatures: inFeatures, weight: w.baseAddress!, outFeatures: outFeatures, bias: bias, into: y
          )
        } else {
          BLAS.linear(
            x, rows: rows, inFeatures: inFeatures, weight: w.baseAddress!, outFeatures: outFeatures, bias: bias, into: y
          )
        }
      }
      return
    }
    let panels = (outFeatures + Int(CKERNELS_PANEL) - 1) / Int(CKERNELS_PANEL)
    storage.withUnsafeBufferPointer { packed in
      // Raw addresses cross into the worker closures; each part writes its own rows or columns.
      let (xAddress, yAddress, biasAddress) = (UInt(bitPattern: x), UInt(bitPattern: y), UInt(bitPattern: bias))
      let wAddress = UInt(bitPattern: packed.baseAddress!)
      let (inFeatures, outFeatures) = (self.inFeatures, self.outFeatures)
      @Sendable func run(rows first: Int, _ count: Int, panels range: Range<Int>) {
        ckernels_packed_linear(
          UnsafePointer<Float>(bitPattern: xAddress)! + first * inFeatures, count, inFeatures,
          UnsafePointer(bitPattern: wAddress), outFeatures, UnsafePointer(bitPattern: biasAddress),
          accumulate ? 1 : 0, UnsafeMutablePointer<Float>(bitPattern: yAddress)! + first * outFeatures,
          range.lowerBound, range.upperBound)
      }
      // Tall inputs (a batch of images, many prompts) split by rows, in whole
      // row tiles, so each thread packs only its own rows of x (the kernel
      // re-lays x per call); short ones (one image: 50 rows) by column panels,
      // where splitting rows would leave tiles part-empty. Each output is the
      // same sum either way.
      if rows >= Self.rowSplitMinimum && Parallelism.threads > 1 {
        let tile = Int(CKERNELS_ROW_TILE)
        Parallelism.split((rows + tile - 1) / tile) { tiles in
          let first = tiles.lowerBound * tile
          run(rows: first, min(rows, tiles.upperBound * tile) - first, panels: 0..<panels)
        }
      } else if Parallelism.threads > 1, let xp = ckernels_pack_x(x, rows, inFeatures) {
        // x laid out once on this thread; the threads then claim column
        // panels two at a time, so one slowed by a neighbour on the machine
        // does less of the work instead of keeping the others waiting (at one
        // image, halves fixed in advance waited 4–14 % of the time).
        let xpAddress = UInt(bitPattern: xp)
        var next = 0
        withUnsafeMutablePointer(to: &next) { next in
          let nextAddress = UInt(bitPattern: next)
          Parallelism.forEachPart(Parallelism.threads) { _ in
            ckernels_packed_linear_shared(
              UnsafePointer(bitPattern: xpAddress), rows, inFeatures, UnsafePointer(bitPattern: wAddress), outFeatures,
              UnsafePointer(bitPattern: biasAddress), accumulate ? 1 : 0,
              UnsafeMutablePointer<Float>(bitPattern: yAddress), UnsafeMutablePointer(bitPattern: nextAddress),
              Self.panelsPerClaim)
          }
        }
      } else {
        Parallelism.split(panels) { range in run(rows: 0, rows, panels: range) }
      }
    }
  }

  /// Rows from which `apply` splits rows rather than column panels between threads (4 images of 50 tokens).
  static let rowSplitMinimum = 200
  /// Column panels a thread claims at a time when they share a short input.
  static let panelsPerClaim = 2
}
