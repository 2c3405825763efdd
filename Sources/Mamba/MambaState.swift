import ModelIO
import Tensor

/// Everything one stream (camera) carries between steps: the last dConv − 1
/// inputs of the causal convolution and the SSM state. Its size is fixed by
/// the config, however long the stream runs (mamba_ssm's `conv_state` and
/// `ssm_state`, without the batch axis).
public struct MambaState: Sendable, Equatable {
  public let config: MambaConfig
  /// (dInner, dConv − 1): the most recent conv inputs per channel, oldest first.
  public var convWindow: [Float]
  /// (dInner, dState)
  public var ssm: [Float]
  /// Steps taken since the state was created.
  public var steps: Int

  public init(config: MambaConfig) {
    self.config = config
    convWindow = [Float](repeating: 0, count: config.dInner * (config.dConv - 1))
    ssm = [Float](repeating: 0, count: config.dInner * config.dState)
    steps = 0
  }

  /// Frames that never came (a gap of several nominal intervals) leave the
  /// conv window as zero inputs would: its oldest entries shift out, zeros in.
  /// A gap of dConv − 1 or more intervals clears it, as at a stream's start.
  public mutating func shiftConvWindow(missing: Int) {
    let history = config.dConv - 1
    let shift = min(max(missing, 0), history)
    guard shift > 0 else { return }
    for channel in 0..<config.dInner {
      let row = channel * history
      for k in 0..<history { convWindow[row + k] = k + shift < history ? convWindow[row + k + shift] : 0 }
    }
  }

  /// Whole nominal intervals missed before a frame that arrives `decayScale`
  /// intervals after the previous one.
  static func missingPositions(decayScale: Float) -> Int {
    decayScale.isFinite ? Int(min(max(decayScale - 1, 0), 1_000_000).rounded()) : 1_000_000
  }

  /// Bytes held per stream.
  public var byteCount: Int { (convWindow.count + ssm.count) * MemoryLayout<Float>.size }

  // MARK: Saving and restoring (a restarted daemon resumes where it was)

  /// The state as safetensors tensors plus metadata (`extra` is kept verbatim).
  public func saved(extra: [String: String] = [:]) -> (tensors: [String: Tensor], metadata: [String: String]) {
    let c = config
    var metadata = extra
    metadata["steps"] = String(steps)
    metadata["d_model"] = String(c.dModel)
    return (
      [
        "conv_window": Tensor(shape: [c.dInner, c.dConv - 1], scalars: convWindow),
        "ssm": Tensor(shape: [c.dInner, c.dState], scalars: ssm),
      ],
      metadata
    )
  }

  /// Restores a state saved for the same `config`; a state saved for another
  /// model is refused with both shapes named.
  public init(restoring file: SafeTensors, config: MambaConfig) throws(ModelError) {
    self.init(config: config)
    convWindow = try file.tensor("conv_window", shape: [config.dInner, config.dConv - 1]).scalars
    ssm = try file.tensor("ssm", shape: [config.dInner, config.dState]).scalars
    // A NaN in a state would poison every later step of that camera.
    guard convWindow.allSatisfy(\.isFinite), ssm.allSatisfy(\.isFinite) else {
      throw ModelError(file: file.path, "saved state holds non-finite values")
    }
    guard let text = file.metadata["steps"], let steps = Int(text), steps >= 0 else {
      throw ModelError(file: file.path, "metadata 'steps' missing or not a count")
    }
    self.steps = steps
  }
}
