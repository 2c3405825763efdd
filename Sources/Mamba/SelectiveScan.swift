import Tensor

#if canImport(Glibc)
  import Glibc
#endif

/// The selective SSM (S6) update for one time step, all channels, in place:
///
///     h[d,n] ← exp(Δ_d·s·A[d,n])·h[d,n] + Δ_d·B[n]·u[d]
///     y[d]   = Σ_n h[d,n]·C[n] + D[d]·u[d]
///
/// with B̄ ≈ Δ·B as mamba_ssm's `selective_state_update` reference. `s`
/// (decayScale) stretches only the decay: a frame that arrives after a gap of
/// s nominal intervals finds the state decayed by the real time, while its own
/// input still counts once (the Euler input term would blow up with s).
public enum SelectiveScan {
  /// h: (dInner, dState), u/delta/d/y: (dInner), a: (dInner, dState), b/c: (dState).
  public static func step(
    h: UnsafeMutablePointer<Float>, u: UnsafePointer<Float>, delta: UnsafePointer<Float>, a: UnsafePointer<Float>,
    b: UnsafePointer<Float>, c: UnsafePointer<Float>, d: UnsafePointer<Float>, decayScale: Float,
    dInner: Int, dState: Int, y: UnsafeMutablePointer<Float>
  ) {
    let full = dState / 8 * 8
    for channel in 0..<dInner {
      let row = channel * dState
      let dt = delta[channel]
      let decayStep = SIMD8<Float>(repeating: dt * decayScale)
      let input = SIMD8<Float>(repeating: dt * u[channel])
      var acc = SIMD8<Float>(repeating: 0)
      var n = 0
      while n < full {
        let decay = FastMath.exp(decayStep * load(a + row + n))
        let state = decay * load(h + row + n) + input * load(b + n)
        store(state, h + row + n)
        acc += state * load(c + n)  // not addProduct: eight libm fmaf calls on baseline x86-64 (see Reductions)
        n += 8
      }
      var total = acc.sum()
      if n < dState {
        // Tail of a dState that is not a multiple of 8, through one padded vector.
        var aTail = SIMD8<Float>(repeating: 0)
        for i in n..<dState { aTail[i - n] = a[row + i] }
        let decay = FastMath.exp(decayStep * aTail)
        for i in n..<dState {
          let state = decay[i - n] * h[row + i] + dt * u[channel] * b[i]
          h[row + i] = state
          total += state * c[i]
        }
      }
      y[channel] = total + d[channel] * u[channel]
    }
  }

  @inline(__always) private static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
  }
  @inline(__always) private static func load(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
  }
  @inline(__always) private static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
  }
}

/// Plain scalar version in Double with libm `exp`, for tests (mamba_ssm keeps
/// `selective_state_update_ref` beside its kernel the same way).
public enum SelectiveScanReference {
  public static func step(
    h: inout [Float], u: [Float], delta: [Float], a: [Float], b: [Float], c: [Float], d: [Float], decayScale: Float
  ) -> [Float] {
    let dInner = u.count
    let dState = b.count
    var y = [Float](repeating: 0, count: dInner)
    for channel in 0..<dInner {
      var total = 0.0
      for n in 0..<dState {
        let i = channel * dState + n
        let decay = exp(Double(delta[channel]) * Double(decayScale) * Double(a[i]))
        let state = decay * Double(h[i]) + Double(delta[channel]) * Double(b[n]) * Double(u[channel])
        h[i] = Float(state)
        total += state * Double(c[n])
      }
      y[channel] = Float(total + Double(d[channel]) * Double(u[channel]))
    }
    return y
  }
}
