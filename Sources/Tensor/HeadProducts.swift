import CKernels
import Synchronization

/// The two products of one attention head — scale · Q Kᵀ and P V — by the
/// kernels in `CKernels/attention.c` on AVX-512 CPUs, by OpenBLAS elsewhere.
/// (OpenBLAS spends most of a 50 × 64 × 50 product on set-up and packing.)
public enum HeadProducts {
  private static let kernels = Atomic<Bool>(ckernels_attention_supported() != 0)

  /// Whether this CPU runs the kernels.
  public static var kernelsSupported: Bool { ckernels_attention_supported() != 0 }

  /// Testing: false runs OpenBLAS even where the kernels run (true only where supported).
  public static var useKernels: Bool {
    get { kernels.load(ordering: .relaxed) }
    set { kernels.store(newValue && kernelsSupported, ordering: .relaxed) }
  }

  /// Floats of scratch `scores` needs beside the scores themselves.
  public static func scratchCount(length: Int, headSize: Int) -> Int { length * headSize }

  /// scores (length, length) = scale · Q Kᵀ; q and k are the head's first columns, rows `stride` apart.
  /// `scratch` holds `scratchCount` floats.
  public static func scores(
    q: UnsafePointer<Float>, k: UnsafePointer<Float>, stride: Int, length: Int, headSize: Int, scale: Float,
    scratch: UnsafeMutablePointer<Float>, into scores: UnsafeMutablePointer<Float>
  ) {
    if useKernels {
      ckernels_attention_scores(q, k, stride, length, headSize, scale, scratch, scores)
      return
    }
    BLAS.gemm(
      m: length, n: length, k: headSize, alpha: scale, q, lda: stride, k, ldb: stride, transB: true, scores,
      ldc: length)
  }

  /// out (length, headSize), rows `outStride` apart = P (length, length) · V, V's rows `stride` apart.
  public static func mix(
    p: UnsafePointer<Float>, v: UnsafePointer<Float>, stride: Int, length: Int, headSize: Int,
    into out: UnsafeMutablePointer<Float>, outStride: Int
  ) {
    if useKernels {
      ckernels_attention_mix(p, v, stride, length, headSize, out, outStride)
      return
    }
    BLAS.gemm(m: length, n: headSize, k: length, p, lda: length, v, ldb: stride, out, ldc: outStride)
  }
}
