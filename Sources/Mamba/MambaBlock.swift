import Tensor

#if canImport(Glibc)
  import Glibc
#endif

/// One Mamba block (mamba_ssm `Mamba`, mambapy `MambaBlock`):
/// in_proj → causal depthwise conv1d → SiLU → x_proj → (Δ, B, C) → selective
/// scan → · SiLU(z) → out_proj.
///
/// Two modes over the same weights: `step` (recurrent, one position, state
/// updated in place, no allocation) and `forward` (a whole sequence, for
/// tests and offline replay). L steps equal `forward` over L.
///
/// A value type: copies share the weights (copy-on-write, never written) and
/// each copy has its own scratch, so every inference worker holds one.
public struct MambaBlock: Sendable {
  public let weights: MambaWeights
  public var config: MambaConfig { weights.config }
  /// A = −exp(A_log), (dInner, dState), computed once.
  let aScalars: [Float]
  /// Per-step buffers in one allocation, made once per block copy:
  /// xz (2·dInner: x then z) | u (dInner) | dbc (dtRank + 2·dState) | delta (dInner) | y (dInner).
  private var scratch: [Float]
  /// in_proj and out_proj packed for the CPU's own kernels (`PackedLinear`),
  /// for `forward` only: the search's re-ranker reads a thousand entries per
  /// query at ViT-B/32's width, where OpenBLAS's generic kernels (all Debian's
  /// OpenBLAS runs on some CPUs) took most of the time. `step`, one row at a
  /// time on the live path, stays on OpenBLAS.
  private let packed: (inProj: PackedLinear, outProj: PackedLinear)?

  /// `packForSequences`: pack the projections for `forward` (twice the
  /// projections' memory).
  public init(weights: MambaWeights, packForSequences: Bool = false) {
    self.weights = weights
    let c = weights.config
    packed =
      packForSequences
      ? (
        PackedLinear(weight: weights.inProj.scalars, outFeatures: 2 * c.dInner, inFeatures: c.dModel),
        PackedLinear(weight: weights.outProj.scalars, outFeatures: c.dModel, inFeatures: c.dInner)
      ) : nil
    aScalars = weights.aLog.scalars.map { -expf($0) }
    scratch = [Float](repeating: 0, count: 2 * c.dInner + c.dInner + c.xProjOutputs + c.dInner + c.dInner)
  }

  // MARK: Recurrent mode

  /// Advances `state` by one position with input `x` (dModel) and writes the
  /// block output (dModel) to `output`. `decayScale` = real interval / nominal
  /// interval (1 reproduces mamba_ssm's `step` exactly).
  public mutating func step(
    _ x: UnsafePointer<Float>, state: inout MambaState, decayScale: Float = 1, into output: UnsafeMutablePointer<Float>
  ) {
    precondition(state.config == config, "state belongs to another model")
    state.shiftConvWindow(missing: MambaState.missingPositions(decayScale: decayScale))
    let c = config
    let w = weights
    // Move the scratch out while it is in use so calls on `self` do not overlap it.
    var work = scratch
    scratch = []
    defer { scratch = work }
    work.withUnsafeMutableBufferPointer { buffer in
      let xz = buffer.baseAddress!
      let u = xz + 2 * c.dInner
      let dbc = u + c.dInner
      let delta = dbc + c.xProjOutputs
      let y = delta + c.dInner
      // in_proj: xz = W_in·x (+ b)
      w.inProj.scalars.withUnsafeBufferPointer { wIn in
        withOptional(w.inProjBias) { bias in
          BLAS.linear(
            x, rows: 1, inFeatures: c.dModel, weight: wIn.baseAddress!, outFeatures: 2 * c.dInner, bias: bias, into: xz)
        }
      }
      // causal conv over [window, x], then slide the window
      state.convWindow.withUnsafeMutableBufferPointer { window in
        Self.convStep(x: xz, window: window.baseAddress!, weights: w, config: c, into: u)
      }
      FastMath.silu(UnsafeMutableBufferPointer(start: u, count: c.dInner))
      project(u: u, rows: 1, dbc: dbc, delta: delta)
      state.ssm.withUnsafeMutableBufferPointer { h in
        scan(h: h.baseAddress!, u: u, delta: delta, dbc: dbc, decayScale: decayScale, y: y)
      }
      Self.gate(y: y, z: xz + c.dInner, count: c.dInner)
      outProject(y, rows: 1, into: output)
    }
    state.steps += 1
  }

  // MARK: Sequence mode

  /// The block over a whole sequence `x` (L, dModel) from an empty state;
  /// returns (L, dModel). `decayScales` (L), if given, stretch each position's decay.
  public func forward(_ x: [Float], length: Int, decayScales: [Float]? = nil) -> [Float] {
    let c = config
    precondition(x.count == length * c.dModel, "forward: x must be (L, dModel)")
    var xz = [Float](repeating: 0, count: length * 2 * c.dInner)
    var u = [Float](repeating: 0, count: length * c.dInner)
    var dbc = [Float](repeating: 0, count: length * c.xProjOutputs)
    var delta = [Float](repeating: 0, count: length * c.dInner)
    var y = [Float](repeating: 0, count: length * c.dInner)
    var out = [Float](repeating: 0, count: length * c.dModel)
    var h = [Float](repeating: 0, count: c.dInner * c.dState)
    let w = weights
    x.withUnsafeBufferPointer { x in
      withOptional(w.inProjBias) { bias in
        if let packed {
          packed.inProj.apply(x.baseAddress!, rows: length, bias: bias, into: &xz)
        } else {
          w.inProj.scalars.withUnsafeBufferPointer { wIn in
            BLAS.linear(
              x.baseAddress!, rows: length, inFeatures: c.dModel, weight: wIn.baseAddress!, outFeatures: 2 * c.dInner,
              bias: bias, into: &xz)
          }
        }
      }
    }
    // The causal conv runs position by position through the same kernel as
    // `step` (and the same handling of missing positions), from a zero window.
    var window = MambaState(config: c)
    for t in 0..<length {
      window.shiftConvWindow(missing: MambaState.missingPositions(decayScale: decayScales?[t] ?? 1))
      xz.withUnsafeBufferPointer { xz in
        window.convWindow.withUnsafeMutableBufferPointer { buffer in
          u.withUnsafeMutableBufferPointer { u in
            Self.convStep(
              x: xz.baseAddress! + t * 2 * c.dInner, window: buffer.baseAddress!, weights: w, config: c,
              into: u.baseAddress! + t * c.dInner)
          }
        }
      }
    }
    u.withUnsafeMutableBufferPointer { FastMath.silu($0) }
    project(u: u, rows: length, dbc: &dbc, delta: &delta)
    for t in 0..<length {
      h.withUnsafeMutableBufferPointer { h in
        u.withUnsafeBufferPointer { u in
          delta.withUnsafeBufferPointer { delta in
            dbc.withUnsafeBufferPointer { dbc in
              y.withUnsafeMutableBufferPointer { y in
                scan(
                  h: h.baseAddress!, u: u.baseAddress! + t * c.dInner, delta: delta.baseAddress! + t * c.dInner,
                  dbc: dbc.baseAddress! + t * c.xProjOutputs, decayScale: decayScales?[t] ?? 1,
                  y: y.baseAddress! + t * c.dInner)
              }
            }
          }
        }
      }
    }
    y.withUnsafeMutableBufferPointer { y in
      xz.withUnsafeBufferPointer { xz in
        for t in 0..<length {
          Self.gate(y: y.baseAddress! + t * c.dInner, z: xz.baseAddress! + t * 2 * c.dInner + c.dInner, count: c.dInner)
        }
      }
    }
    if let packed {
      withOptional(w.outProjBias) { bias in packed.outProj.apply(y, rows: length, bias: bias, into: &out) }
    } else {
      outProject(y, rows: length, into: &out)
    }
    return out
  }
}
