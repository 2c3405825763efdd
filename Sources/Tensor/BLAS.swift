import COpenBLAS

/// Matrix products through OpenBLAS (hand loops reach a fraction of it).
/// Weights use PyTorch's `nn.Linear` layout: (out, in), row-major.
public enum BLAS {
  /// y (rows, out) = x (rows, in) · Wᵀ + bias.  `bias` may be nil.
  public static func linear(
    _ x: UnsafePointer<Float>, rows: Int, inFeatures: Int,
    weight: UnsafePointer<Float>, outFeatures: Int, bias: UnsafePointer<Float>?,
    into y: UnsafeMutablePointer<Float>
  ) {
    if rows == 1 {
      // gemv: y = W·x (+ bias)
      if let bias { y.update(from: bias, count: outFeatures) }
      cblas_sgemv(
        CblasRowMajor, CblasNoTrans, Int32(outFeatures), Int32(inFeatures), 1, weight, Int32(inFeatures), x, 1,
        bias == nil ? 0 : 1, y, 1)
      return
    }
    if let bias {
      for r in 0..<rows { (y + r * outFeatures).update(from: bias, count: outFeatures) }
    }
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outFeatures), Int32(inFeatures), 1, x,
      Int32(inFeatures), weight, Int32(inFeatures), bias == nil ? 0 : 1, y, Int32(outFeatures))
  }

  /// y (rows, out) += x (rows, in) · Wᵀ + bias: a linear layer plus its residual.
  public static func linearAdding(
    _ x: UnsafePointer<Float>, rows: Int, inFeatures: Int,
    weight: UnsafePointer<Float>, outFeatures: Int, bias: UnsafePointer<Float>?,
    into y: UnsafeMutablePointer<Float>
  ) {
    if let bias {
      for r in 0..<rows {
        let row = y + r * outFeatures
        for o in 0..<outFeatures { row[o] += bias[o] }
      }
    }
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outFeatures), Int32(inFeatures), 1, x,
      Int32(inFeatures), weight, Int32(inFeatures), 1, y, Int32(outFeatures))
  }

  /// C (m, n) = alpha · A (m, k) · B (k, n) + beta · C, all row-major; `transB`
  /// reads B as (n, k).
  public static func gemm(
    m: Int, n: Int, k: Int, alpha: Float = 1, _ a: UnsafePointer<Float>, lda: Int,
    _ b: UnsafePointer<Float>, ldb: Int, transB: Bool = false, beta: Float = 0,
    _ c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, transB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha, a,
      Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  /// y = alpha · M·x, or alpha · Mᵀ·x with `transpose`; M is (rows, columns)
  /// row-major with row stride `stride` (a column slice of a wider matrix).
  public static func gemv(
    rows: Int, columns: Int, matrix: UnsafePointer<Float>, stride: Int, x: UnsafePointer<Float>,
    y: UnsafeMutablePointer<Float>, transpose: Bool = false, alpha: Float = 1
  ) {
    cblas_sgemv(
      CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, Int32(rows), Int32(columns), alpha, matrix, Int32(stride),
      x, 1, 0, y, 1)
  }

  /// Threads OpenBLAS may use for one call (set so workers do not oversubscribe cores).
  public static var threads: Int {
    get { Int(openblas_get_num_threads()) }
    set { openblas_set_num_threads(Int32(newValue)) }
  }
}
