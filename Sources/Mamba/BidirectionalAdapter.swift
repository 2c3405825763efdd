import ModelIO
import Tensor

#if canImport(Glibc)
  import Glibc
#endif

/// The retrospective re-ranker of `monitor search`: a bidirectional Mamba
/// (VideoMamba's forward and backward scans) over a run of a camera's
/// compressed memory entries,
///
///     r = e + tanh(g) · (Forward(LayerNorm(e)) + flip(Backward(flip(LayerNorm(e)))))
///
/// one position per entry (the entries of a memory bank stand for stretches
/// of very different lengths, so the scans step by entry, not by time). Live
/// alerts stay causal (`TemporalAdapter`); a question about the past may look
/// at what came after. An action is a change, and a memory bank keeps
/// changes as boundaries between entries, so it also answers for each
/// boundary between entries i and i + 1, from what the forward scan saw up
/// to i and the backward scan from i + 1 on:
///
///     b_i = (e_i + e_{i+1}) / 2 + tanh(g) · (F_i + B_{i+1})
///
/// The weights file holds two Mamba blocks under mamba_ssm's names prefixed
/// `forward.` and `backward.`, plus `norm.weight`, `norm.bias` and `gate`;
/// its metadata names the memory it was trained on (`block_seconds`,
/// `entries_per_block`) and how long a span a hit at a boundary reports
/// (`transition_seconds`, default 2).
public struct BidirectionalAdapter: Sendable {
  public let forwardBlock: MambaBlock
  public let backwardBlock: MambaBlock
  public let normWeight: [Float]  // (dModel)
  public let normBias: [Float]  // (dModel)
  public let gate: Float
  public let layerNormEps: Float
  /// The memory blocks it was trained on, from the file's metadata (nil: not given).
  public let trainedBlockSeconds: Double?
  public let trainedEntriesPerBlock: Int?
  /// Seconds a hit at a boundary between entries spans (centred on it).
  public let transitionSeconds: Double

  public var dModel: Int { forwardBlock.config.dModel }

  public init(
    forward: MambaBlock, backward: MambaBlock, normWeight: [Float], normBias: [Float], gate: Float,
    layerNormEps: Float = 1e-5
  ) {
    precondition(forward.config == backward.config, "both scans have one shape")
    precondition(normWeight.count == forward.config.dModel && normBias.count == forward.config.dModel)
    forwardBlock = forward
    backwardBlock = backward
    self.normWeight = normWeight
    self.normBias = normBias
    self.gate = gate
    self.layerNormEps = layerNormEps
    trainedBlockSeconds = nil
    trainedEntriesPerBlock = nil
    transitionSeconds = 2
  }

  /// Random weights (benchmarks): identity norm, gate `gate`.
  public init(random config: MambaConfig, seed: UInt64, gate: Float = 0.5) {
    self.init(
      forward: MambaBlock(weights: MambaWeights(random: config, seed: seed), packForSequences: true),
      backward: MambaBlock(weights: MambaWeights(random: config, seed: seed + 1), packForSequences: true),
      normWeight: [Float](repeating: 1, count: config.dModel), normBias: [Float](repeating: 0, count: config.dModel),
      gate: gate)
  }

  /// Loads trained weights; every tensor is checked against the blocks' shape.
  public init(file: SafeTensors) throws(ModelError) {
    let forward = try MambaWeights(file: file, prefix: "forward.")
    let backward = try MambaWeights(file: file, prefix: "backward.")
    guard forward.config == backward.config else {
      throw ModelError(file: file.path, "the forward. and backward. blocks differ in shape")
    }
    let dModel = forward.config.dModel
    let eps = Float(file.metadata["layer_norm_eps"] ?? "") ?? 1e-5
    guard eps > 0, eps.isFinite else { throw ModelError(file: file.path, "metadata layer_norm_eps must be positive") }
    forwardBlock = MambaBlock(weights: forward, packForSequences: true)
    backwardBlock = MambaBlock(weights: backward, packForSequences: true)
    normWeight = try file.tensor("norm.weight", shape: [dModel]).scalars
    normBias = try file.tensor("norm.bias", shape: [dModel]).scalars
    gate = try file.tensor("gate", shape: [1]).scalars[0]
    layerNormEps = eps
    trainedBlockSeconds = file.metadata["block_seconds"].flatMap(Double.init)
    trainedEntriesPerBlock = file.metadata["entries_per_block"].flatMap { Int($0) }
    let transition = Double(file.metadata["transition_seconds"] ?? "2") ?? .nan
    guard transition > 0, transition.isFinite else {
      throw ModelError(file: file.path, "metadata transition_seconds must be a positive number of seconds")
    }
    transitionSeconds = transition
  }

  /// The outputs for a run of entries `e` (L, dModel) in time order: one per
  /// entry (L, dModel) and one per boundary between two entries (L − 1, dModel).
  public func forward(_ e: [Float], length: Int) -> (entries: [Float], boundaries: [Float]) {
    precondition(e.count == length * dModel, "forward: e must be (L, dModel)")
    guard length > 0 else { return ([], []) }
    let width = dModel
    let normed = LayerNorm.apply(e, rows: length, weight: normWeight, bias: normBias, eps: layerNormEps)
    let ahead = forwardBlock.forward(normed, length: length)
    let back = backwardBlock.forward(Self.reversed(normed, rows: length, columns: width), length: length)
    // back holds the backward scan in reversed order: entry `row` is at row L − 1 − row.
    let g = tanhf(gate)
    var entries = e
    for row in 0..<length {
      let mirrored = (length - 1 - row) * width
      for i in 0..<width { entries[row * width + i] += g * (ahead[row * width + i] + back[mirrored + i]) }
    }
    var boundaries = [Float](repeating: 0, count: (length - 1) * width)
    for row in 0..<(length - 1) {
      let next = (length - 2 - row) * width  // entry row + 1, backwards
      for i in 0..<width {
        let mean = (e[row * width + i] + e[(row + 1) * width + i]) / 2
        boundaries[row * width + i] = mean + g * (ahead[row * width + i] + back[next + i])
      }
    }
    return (entries, boundaries)
  }

  /// Rows of a (rows, columns) matrix in the opposite order.
  static func reversed(_ x: [Float], rows: Int, columns: Int) -> [Float] {
    var out = [Float](repeating: 0, count: x.count)
    for row in 0..<rows {
      let from = (rows - 1 - row) * columns
      for i in 0..<columns { out[row * columns + i] = x[from + i] }
    }
    return out
  }
}
