import Tensor

/// The pieces `step` and `forward` share, so both modes run the same maths.
extension MambaBlock {
  /// x_proj then dt_proj + bias → softplus, for `rows` positions:
  /// dbc (rows, dtRank + 2·dState) = W_x·u; delta (rows, dInner) = softplus(W_dt·dbc[:, :dtRank] + b_dt).
  func project(u: UnsafePointer<Float>, rows: Int, dbc: UnsafeMutablePointer<Float>, delta: UnsafeMutablePointer<Float>)
  {
    let c = config
    weights.xProj.scalars.withUnsafeBufferPointer { wx in
      BLAS.linear(
        u, rows: rows, inFeatures: c.dInner, weight: wx.baseAddress!, outFeatures: c.xProjOutputs, bias: nil, into: dbc)
    }
    weights.dtProj.scalars.withUnsafeBufferPointer { wdt in
      weights.dtBias.scalars.withUnsafeBufferPointer { bias in
        for r in 0..<rows { (delta + r * c.dInner).update(from: bias.baseAddress!, count: c.dInner) }
        // delta (rows, dInner) += dbc[:, :dtRank] (rows, dtRank, stride xProjOutputs) · W_dtᵀ
        BLAS.gemm(
          m: rows, n: c.dInner, k: c.dtRank, dbc, lda: c.xProjOutputs, wdt.baseAddress!, ldb: c.dtRank, transB: true,
          beta: 1, delta, ldc: c.dInner)
      }
    }
    FastMath.softplus(UnsafeMutableBufferPointer(start: delta, count: rows * c.dInner))
  }

  /// One position of the selective scan; B and C are read from `dbc`.
  func scan(
    h: UnsafeMutablePointer<Float>, u: UnsafePointer<Float>, delta: UnsafePointer<Float>, dbc: UnsafePointer<Float>,
    decayScale: Float, y: UnsafeMutablePointer<Float>
  ) {
    let c = config
    aScalars.withUnsafeBufferPointer { a in
      weights.d.scalars.withUnsafeBufferPointer { d in
        SelectiveScan.step(
          h: h, u: u, delta: delta, a: a.baseAddress!, b: dbc + c.dtRank, c: dbc + c.dtRank + c.dState,
          d: d.baseAddress!, decayScale: decayScale, dInner: c.dInner, dState: c.dState, y: y)
      }
    }
  }

  /// out (rows, dModel) = W_out·y (+ b).
  func outProject(_ y: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>) {
    let c = config
    weights.outProj.scalars.withUnsafeBufferPointer { wOut in
      withOptional(weights.outProjBias) { bias in
        BLAS.linear(
          y, rows: rows, inFeatures: c.dInner, weight: wOut.baseAddress!, outFeatures: c.dModel, bias: bias, into: out)
      }
    }
  }

  /// y ← y · SiLU(z), z read-only.
  static func gate(y: UnsafeMutablePointer<Float>, z: UnsafePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
      let zv = UnsafeRawPointer(z + i).loadUnaligned(as: SIMD8<Float>.self)
      let yv = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(y + i).storeBytes(of: yv * zv / (1 + FastMath.exp(-zv)), as: SIMD8<Float>.self)
      i += 8
    }
    while i < count {
      let zi = z[i]
      y[i] *= zi / (1 + FastMath.exp(SIMD8(repeating: -zi))[0])
      i += 1
    }
  }

  /// One causal conv position: u[d] = Σ_k w[d,k]·[window[d], x[d]]_k + b[d];
  /// then the window drops its oldest input and takes x.
  static func convStep(
    x: UnsafePointer<Float>, window: UnsafeMutablePointer<Float>, weights: MambaWeights, config c: MambaConfig,
    into u: UnsafeMutablePointer<Float>
  ) {
    let history = c.dConv - 1
    weights.conv.scalars.withUnsafeBufferPointer { w in
      for d in 0..<c.dInner {
        let kernel = w.baseAddress! + d * c.dConv
        let past = window + d * history
        var sum = (weights.convBias?.scalars[d] ?? 0) + kernel[history] * x[d]
        for k in 0..<history { sum += kernel[k] * past[k] }
        u[d] = sum
        if history > 0 {
          for k in 0..<(history - 1) { past[k] = past[k + 1] }
          past[history - 1] = x[d]
        }
      }
    }
  }
}

/// Calls `body` with the tensor's buffer, or nil.
@inline(__always)
func withOptional<R>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
  guard let tensor else { return body(nil) }
  return tensor.scalars.withUnsafeBufferPointer { body($0.baseAddress!) }
}
