import Core

#if canImport(Glibc)
  import Glibc
#endif

/// The training-free temporal model: a diagonal SSM with B = C = identity
/// per channel and one decay per horizon τ, i.e. exponentially-windowed mean
/// pooling of frame embeddings at several horizons (CLIP4Clip's meanP, a
/// strong zero-shot baseline, made causal and constant-memory).
///
/// Zero-order hold in continuous time: between frames t−1 and t,
///
///     Δ_τ = (t − t_prev) + novelty·gain·τ,   ā = exp(−Δ_τ / τ),
///     p_τ ← ā·p_τ + (1 − ā)·e_t
///
/// where novelty = 1 − cos(e_t, e_{t−1}) makes the pool react faster when the
/// scene changes (the "selection" of Mamba: Δ grows with the input). A fully
/// novel frame advances every horizon by `gain` of its own time constant, so
/// the reaction does not depend on the frame rate.
public struct MultiHorizonPooling: Sendable {
  /// Default horizons in seconds: a blink, an action, an activity, a scene.
  public static let defaultHorizons: [Double] = [0.5, 2, 8, 30]

  public let dimension: Int
  public let horizons: [Double]
  public let noveltyGain: Double

  public struct State: Sendable, Equatable {
    /// One rolling embedding per horizon, (horizons, dimension); not normalised.
    public var pooled: [[Float]]
    public var previous: [Float]?
    public var lastTime: Double?
    /// 1 − cos(e_t, e_{t−1}) of the last step.
    public var novelty: Double = 0
  }

  public init(dimension: Int, horizons: [Double] = defaultHorizons, noveltyGain: Double = 0.25) {
    precondition(dimension > 0 && !horizons.isEmpty && horizons.allSatisfy { $0 > 0 } && noveltyGain >= 0)
    self.dimension = dimension
    self.horizons = horizons
    self.noveltyGain = noveltyGain
  }

  public func makeState() -> State {
    State(pooled: horizons.map { _ in [Float](repeating: 0, count: dimension) }, previous: nil, lastTime: nil)
  }

  /// Folds embedding `e` seen at stream time `time` (seconds) into `state`.
  public func step(_ e: [Float], time: Double, state: inout State) {
    precondition(e.count == dimension, "embedding has \(e.count) values, expected \(dimension)")
    guard let previous = state.previous, let last = state.lastTime else {
      for h in horizons.indices { state.pooled[h] = e }
      state.previous = e
      state.lastTime = time
      return
    }
    let novelty = max(0, min(2, 1 - Embedding.cosine(e, previous)))
    let elapsed = max(0, time - last)
    for (h, tau) in horizons.enumerated() {
      let keep = Float(exp(-(elapsed + novelty * noveltyGain * tau) / tau))
      state.pooled[h].withUnsafeMutableBufferPointer { p in
        for i in 0..<dimension { p[i] = keep * p[i] + (1 - keep) * e[i] }
      }
    }
    state.previous = e
    state.lastTime = time
    state.novelty = novelty
  }

}
