import ModelIO
import Tensor

#if canImport(Glibc)
  import Glibc
#endif

/// TimeMamba-style residual adapter on frame embeddings:
///
///     r_t = e_t + tanh(g) · Mamba(LayerNorm(e_t))
///
/// With the gate g at 0 (untrained) it returns the CLIP embedding unchanged;
/// a trained gate adds only temporal information. The weights file holds the
/// Mamba block under mamba_ssm's names plus `norm.weight`, `norm.bias` and
/// `gate`; its metadata may give `layer_norm_eps`, `nominal_interval`
/// (seconds between frames at training time, default 0.5 = 2 fps) and
/// `min_interval` / `max_interval` (the range of intervals it was trained on;
/// default: the nominal one only).
public struct TemporalAdapter: Sendable {
  public private(set) var block: MambaBlock
  public let normWeight: [Float]  // (dModel)
  public let normBias: [Float]  // (dModel)
  public let gate: Float
  public let layerNormEps: Float
  public let nominalInterval: Double
  /// Seconds between frames the adapter was trained on (cameras outside it get a warning).
  public private(set) var trainedIntervals: ClosedRange<Double>
  private var scratch: [Float]  // normed (dModel) | mixed (dModel)

  public var config: MambaConfig { block.config }

  /// Per stream: the Mamba state and the time of the last frame.
  public struct State: Sendable, Equatable {
    public var mamba: MambaState
    /// Stream time (seconds) of the last step.
    public var lastTime: Double?
  }

  public init(
    block: MambaBlock, normWeight: [Float], normBias: [Float], gate: Float, layerNormEps: Float = 1e-5,
    nominalInterval: Double = 0.5
  ) {
    let dModel = block.config.dModel
    precondition(normWeight.count == dModel && normBias.count == dModel, "norm must be (dModel)")
    precondition(nominalInterval > 0, "nominal interval must be positive")
    self.block = block
    self.normWeight = normWeight
    self.normBias = normBias
    self.gate = gate
    self.layerNormEps = layerNormEps
    self.nominalInterval = nominalInterval
    trainedIntervals = nominalInterval...nominalInterval
    scratch = [Float](repeating: 0, count: 2 * dModel)
  }

  /// An untrained adapter: gate 0, identity norm, random block.
  public init(untrained config: MambaConfig, seed: UInt64 = 0, nominalInterval: Double = 0.5) {
    self.init(
      block: MambaBlock(weights: MambaWeights(random: config, seed: seed)),
      normWeight: [Float](repeating: 1, count: config.dModel), normBias: [Float](repeating: 0, count: config.dModel),
      gate: 0, nominalInterval: nominalInterval)
  }

  /// Loads trained weights; every tensor is checked against the block's shape.
  public init(file: SafeTensors) throws(ModelError) {
    let weights = try MambaWeights(file: file)
    let dModel = weights.config.dModel
    let eps = Float(file.metadata["layer_norm_eps"] ?? "") ?? 1e-5
    let interval = Double(file.metadata["nominal_interval"] ?? "") ?? 0.5
    guard interval > 0, interval.isFinite else {
      throw ModelError(file: file.path, "metadata nominal_interval must be a positive number of seconds")
    }
    // A NaN epsilon used to load silently and make every score 1/7 forever.
    guard eps > 0, eps.isFinite else { throw ModelError(file: file.path, "metadata layer_norm_eps must be positive") }
    func bound(_ key: String) throws(ModelError) -> Double {
      guard let text = file.metadata[key] else { return interval }
      guard let value = Double(text), value > 0, value.isFinite else {
        throw ModelError(file: file.path, "metadata \(key) must be a positive number of seconds")
      }
      return value
    }
    let (shortest, longest) = (try bound("min_interval"), try bound("max_interval"))
    guard shortest <= interval && interval <= longest else {
      throw ModelError(
        file: file.path,
        "metadata min_interval ≤ nominal_interval ≤ max_interval does not hold (\(shortest), \(interval), \(longest))")
    }
    self.init(
      block: MambaBlock(weights: weights), normWeight: try file.tensor("norm.weight", shape: [dModel]).scalars,
      normBias: try file.tensor("norm.bias", shape: [dModel]).scalars,
      gate: try file.tensor("gate", shape: [1]).scalars[0], layerNormEps: eps, nominalInterval: interval)
    trainedIntervals = shortest...longest
  }

  public func makeState() -> State { State(mamba: MambaState(config: config), lastTime: nil) }

  /// One frame embedding `e` (dModel) at stream time `time` (seconds) → `r`
  /// (dModel). The state decays by the real time since the previous frame.
  public mutating func step(
    _ e: UnsafePointer<Float>, time: Double, state: inout State, into r: UnsafeMutablePointer<Float>
  ) {
    let dModel = config.dModel
    let decayScale = state.lastTime.map { Float(max(time - $0, 0) / nominalInterval) } ?? 1
    state.lastTime = time
    var work = scratch
    scratch = []
    defer { scratch = work }
    work.withUnsafeMutableBufferPointer { buffer in
      let normed = buffer.baseAddress!
      let mixed = normed + dModel
      normWeight.withUnsafeBufferPointer { weight in
        normBias.withUnsafeBufferPointer { bias in
          LayerNorm.apply(
            e, rows: 1, columns: dModel, weight: weight.baseAddress!, bias: bias.baseAddress!, eps: layerNormEps,
            into: normed)
        }
      }
      block.step(normed, state: &state.mamba, decayScale: decayScale, into: mixed)
      let g = tanhf(gate)
      for i in 0..<dModel { r[i] = e[i] + g * mixed[i] }
    }
  }

  /// The adapter over a whole sequence (L, dModel) at the nominal rate.
  public func forward(_ e: [Float], length: Int) -> [Float] {
    let normed = LayerNorm.apply(e, rows: length, weight: normWeight, bias: normBias, eps: layerNormEps)
    let mixed = block.forward(normed, length: length)
    let g = tanhf(gate)
    return (0..<e.count).map { e[$0] + g * mixed[$0] }
  }
}
