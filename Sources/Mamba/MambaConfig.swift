/// Shape of one Mamba block, as `mamba_ssm.modules.mamba_simple.Mamba`.
public struct MambaConfig: Sendable, Equatable {
  /// Width of the block's input and output (the embedding size).
  public var dModel: Int
  /// Inner width: `expand × dModel` in mamba_ssm.
  public var dInner: Int
  /// SSM state size N per inner channel.
  public var dState: Int
  /// Width of the causal depthwise convolution.
  public var dConv: Int
  /// Rank of the Δ projection.
  public var dtRank: Int
  /// Whether `in_proj` and `out_proj` carry biases (mamba_ssm's `bias`, default false).
  public var projectionBias: Bool
  /// Whether `conv1d` carries a bias (mamba_ssm's `conv_bias`, default true).
  public var convBias: Bool

  /// `dtRank` defaults to ⌈dModel / 16⌉ as mamba_ssm's "auto".
  public init(
    dModel: Int, dState: Int = 16, dConv: Int = 4, expand: Int = 2, dtRank: Int? = nil,
    projectionBias: Bool = false, convBias: Bool = true
  ) {
    self.init(
      dModel: dModel, dInner: expand * dModel, dState: dState, dConv: dConv, dtRank: dtRank ?? (dModel + 15) / 16,
      projectionBias: projectionBias, convBias: convBias)
  }

  public init(
    dModel: Int, dInner: Int, dState: Int, dConv: Int, dtRank: Int, projectionBias: Bool, convBias: Bool
  ) {
    precondition(dModel > 0 && dInner > 0 && dState > 0 && dConv > 0 && dtRank > 0, "Mamba dimensions must be positive")
    self.dModel = dModel
    self.dInner = dInner
    self.dState = dState
    self.dConv = dConv
    self.dtRank = dtRank
    self.projectionBias = projectionBias
    self.convBias = convBias
  }

  /// Columns of `x_proj`'s output: Δ (dtRank), B (dState), C (dState).
  public var xProjOutputs: Int { dtRank + 2 * dState }
}
