import Core
import ModelIO
import Tensor

#if canImport(Glibc)
  import Glibc
#endif

/// The parameters of one Mamba block under mamba_ssm's names, in PyTorch
/// layouts; weights trained with the reference code load without conversion.
public struct MambaWeights: Sendable {
  public let config: MambaConfig
  public var inProj: Tensor  // (2·dInner, dModel)            in_proj.weight
  public var inProjBias: Tensor?  // (2·dInner)               in_proj.bias
  public var conv: Tensor  // (dInner, dConv)                 conv1d.weight (dInner, 1, dConv)
  public var convBias: Tensor?  // (dInner)                   conv1d.bias
  public var xProj: Tensor  // (dtRank + 2·dState, dInner)   x_proj.weight
  public var dtProj: Tensor  // (dInner, dtRank)              dt_proj.weight
  public var dtBias: Tensor  // (dInner)                      dt_proj.bias
  public var aLog: Tensor  // (dInner, dState)                A_log; A = −exp(A_log)
  public var d: Tensor  // (dInner)                           D (skip connection)
  public var outProj: Tensor  // (dModel, dInner)             out_proj.weight
  public var outProjBias: Tensor?  // (dModel)                out_proj.bias

  /// Loads `prefix`+names from `file`, inferring the configuration from the
  /// shapes and checking every tensor against it (errors name the tensor and
  /// both shapes).
  public init(file: SafeTensors, prefix: String = "") throws(ModelError) {
    func shape(_ name: String) throws(ModelError) -> [Int] {
      guard let entry = file.entries[prefix + name] else {
        throw ModelError(file: file.path, tensor: prefix + name, "missing (not a mamba_ssm Mamba block?)")
      }
      return entry.shape
    }
    let inShape = try shape("in_proj.weight")
    let aShape = try shape("A_log")
    let convShape = try shape("conv1d.weight")
    let dtShape = try shape("dt_proj.weight")
    guard inShape.count == 2, aShape.count == 2, convShape.count == 3, dtShape.count == 2, inShape[0] % 2 == 0 else {
      throw ModelError(file: file.path, "tensor ranks do not match a Mamba block")
    }
    typealias L = Limits.Model
    let sizes = [
      ("in_proj.weight", inShape[0] / 2, L.width), ("in_proj.weight", inShape[1], L.width),
      ("A_log", aShape[1], L.state), ("conv1d.weight", convShape[2], L.convolution),
      ("dt_proj.weight", dtShape[1], L.width),
    ]
    // A zero or absurd dimension used to trap in MambaConfig's precondition.
    for (tensor, size, limit) in sizes where !(1...limit).contains(size) {
      throw ModelError(file: file.path, tensor: prefix + tensor, "dimension \(size) is outside 1…\(limit)")
    }
    let config = MambaConfig(
      dModel: inShape[1], dInner: inShape[0] / 2, dState: aShape[1], dConv: convShape[2], dtRank: dtShape[1],
      projectionBias: file.entries[prefix + "in_proj.bias"] != nil,
      convBias: file.entries[prefix + "conv1d.bias"] != nil)
    let c = config
    func load(_ name: String, _ shape: [Int]) throws(ModelError) -> Tensor {
      try file.tensor(prefix + name, shape: shape)
    }
    self.config = config
    inProj = try load("in_proj.weight", [2 * c.dInner, c.dModel])
    inProjBias = c.projectionBias ? try load("in_proj.bias", [2 * c.dInner]) : nil
    conv = try load("conv1d.weight", [c.dInner, 1, c.dConv]).reshaped([c.dInner, c.dConv])
    convBias = c.convBias ? try load("conv1d.bias", [c.dInner]) : nil
    xProj = try load("x_proj.weight", [c.xProjOutputs, c.dInner])
    dtProj = try load("dt_proj.weight", [c.dInner, c.dtRank])
    dtBias = try load("dt_proj.bias", [c.dInner])
    aLog = try load("A_log", [c.dInner, c.dState])
    d = try load("D", [c.dInner])
    outProj = try load("out_proj.weight", [c.dModel, c.dInner])
    outProjBias = file.entries[prefix + "out_proj.bias"] != nil ? try load("out_proj.bias", [c.dModel]) : nil
  }

  /// Random weights with mamba_ssm's initialisation ranges (for benchmarks and
  /// tests), reproducible by `seed`.
  public init(random config: MambaConfig, seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    func uniform(_ shape: [Int], scale: Float) -> Tensor {
      Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.nextFloat(in: -scale...scale) })
    }
    let c = config
    self.config = config
    inProj = uniform([2 * c.dInner, c.dModel], scale: 1 / Float(c.dModel).squareRoot())
    inProjBias = c.projectionBias ? uniform([2 * c.dInner], scale: 0.1) : nil
    conv = uniform([c.dInner, c.dConv], scale: 1 / Float(c.dConv).squareRoot())
    convBias = c.convBias ? uniform([c.dInner], scale: 0.1) : nil
    xProj = uniform([c.xProjOutputs, c.dInner], scale: 1 / Float(c.dInner).squareRoot())
    dtProj = uniform([c.dInner, c.dtRank], scale: 1 / Float(c.dtRank).squareRoot())
    // Δ initialised in [0.001, 0.1] through the inverse softplus, as mamba_ssm.
    dtBias = Tensor(
      shape: [c.dInner],
      scalars: (0..<c.dInner).map { _ in
        let dt = expf(rng.nextFloat(in: logf(0.001)...logf(0.1)))
        return dt + logf(-expm1f(-dt))
      })
    aLog = Tensor(
      shape: [c.dInner, c.dState], scalars: (0..<(c.dInner * c.dState)).map { logf(Float($0 % c.dState + 1)) })
    d = Tensor(shape: [c.dInner], scalars: [Float](repeating: 1, count: c.dInner))
    outProj = uniform([c.dModel, c.dInner], scale: 1 / Float(c.dInner).squareRoot())
    outProjBias = c.projectionBias ? uniform([c.dModel], scale: 0.1) : nil
  }

  /// Under mamba_ssm's names, for saving.
  public var named: [String: Tensor] {
    let c = config
    var tensors: [String: Tensor] = [
      "in_proj.weight": inProj, "conv1d.weight": conv.reshaped([c.dInner, 1, c.dConv]), "x_proj.weight": xProj,
      "dt_proj.weight": dtProj, "dt_proj.bias": dtBias, "A_log": aLog, "D": d, "out_proj.weight": outProj,
    ]
    tensors["in_proj.bias"] = inProjBias
    tensors["conv1d.bias"] = convBias
    tensors["out_proj.bias"] = outProjBias
    return tensors
  }
}
