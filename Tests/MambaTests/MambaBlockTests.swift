import Mamba
import ModelIO
import Tensor
import TestSupport
import Testing

/// The Swift block against mambapy on the same weights, and its two modes against each other.
@Suite struct MambaBlockTests {
  @Test(arguments: MambaFixtures.blocks)
  func sequenceForwardMatchesReference(name: String) throws {
    let block = MambaBlock(weights: try MambaWeights(file: try MambaFixtures.weights(name)))
    let io = try MambaFixtures.io(name)
    let output = block.forward(io.input, length: io.length)
    #expect(maxAbsDifference(output, io.output) <= 1e-4)
  }

  @Test(arguments: MambaFixtures.blocks)
  func recurrentStepsMatchReferenceStepsAndOwnSequence(name: String) throws {
    var block = MambaBlock(weights: try MambaWeights(file: try MambaFixtures.weights(name)))
    let io = try MambaFixtures.io(name)
    var state = MambaState(config: block.config)
    let stepped = block.runSteps(io.input, length: io.length, state: &state)
    #expect(maxAbsDifference(stepped, try #require(io.steps)) <= 1e-4)
    #expect(maxAbsDifference(stepped, block.forward(io.input, length: io.length)) <= 1e-5)
    #expect(state.steps == io.length)
  }

  @Test func configurationIsInferredFromTheShapes() throws {
    let weights = try MambaWeights(file: try MambaFixtures.weights("d37e2n8_bias_L64"))
    #expect(
      weights.config
        == MambaConfig(dModel: 37, dInner: 74, dState: 8, dConv: 4, dtRank: 3, projectionBias: true, convBias: true))
  }

  @Test func savedStateContinuesIdentically() throws {
    var block = MambaBlock(weights: try MambaWeights(file: try MambaFixtures.weights("d20e1n16_L64")))
    let io = try MambaFixtures.io("d20e1n16_L64")
    let d = block.config.dModel
    var straight = MambaState(config: block.config)
    let all = block.runSteps(io.input, length: 64, state: &straight)

    var first = MambaState(config: block.config)
    _ = block.runSteps(Array(io.input[..<(30 * d)]), length: 30, state: &first)
    let path = try Repository.temporaryDirectory("mamba-state").appendingPathComponent("cam1.state").path
    let saved = first.saved(extra: ["camera": "cam1"])
    try SafeTensorsWriter.write(saved.tensors, metadata: saved.metadata, to: path)
    let file = try SafeTensors(path: path)
    var restored = try MambaState(restoring: file, config: block.config)
    #expect(restored == first && file.metadata["camera"] == "cam1")
    let rest = block.runSteps(Array(io.input[(30 * d)...]), length: 34, state: &restored)
    #expect(rest == Array(all[(30 * d)...]))
    #expect(restored == straight)
  }

  @Test func stateOfAnotherModelIsRefusedNamingShapes() throws {
    let small = MambaConfig(dModel: 20, dState: 16, expand: 1)
    let other = MambaConfig(dModel: 37, dState: 8, expand: 2)
    let path = try Repository.temporaryDirectory("mamba-state").appendingPathComponent("x.state").path
    let saved = MambaState(config: small).saved()
    try SafeTensorsWriter.write(saved.tensors, metadata: saved.metadata, to: path)
    #expect(throws: ModelError(file: path, tensor: "conv_window", "shape [20, 3] does not match the expected [74, 3]"))
    {
      try MambaState(restoring: try SafeTensors(path: path), config: other)
    }
  }

  @Test func misshapenWeightIsNamedWithBothShapes() throws {
    let source = try MambaFixtures.weights("d20e1n16_L7")
    var tensors: [String: Tensor] = [:]
    for name in source.names { tensors[name] = try source.tensor(name) }
    tensors["x_proj.weight"] = Tensor(zeros: [34, 21])
    let path = try Repository.temporaryDirectory("mamba-weights").appendingPathComponent("bad.safetensors").path
    try SafeTensorsWriter.write(tensors, to: path)
    #expect(
      throws: ModelError(file: path, tensor: "x_proj.weight", "shape [34, 21] does not match the expected [34, 20]")
    ) {
      try MambaWeights(file: try SafeTensors(path: path))
    }
    tensors["x_proj.weight"] = nil
    try SafeTensorsWriter.write(tensors, to: path)
    #expect(throws: ModelError(file: path, tensor: "x_proj.weight", "missing")) {
      try MambaWeights(file: try SafeTensors(path: path))
    }
  }

  /// Continuous time: stretching the decay by s equals the scan reference with Δ·s in exp only.
  @Test(arguments: [(37, 16), (13, 13), (8, 5)])
  func scanKernelMatchesReferenceWithDecayScale(dInner: Int, dState: Int) {
    var rng = SplitMix64(seed: UInt64(dInner * 100 + dState))
    func random(_ n: Int, _ range: ClosedRange<Float>) -> [Float] { (0..<n).map { _ in rng.nextFloat(in: range) } }
    let a = random(dInner * dState, -4 ... -0.1)
    let b = random(dState, -1...1)
    let c = random(dState, -1...1)
    let d = random(dInner, 0...2)
    var hFast = random(dInner * dState, -1...1)
    var hReference = hFast
    for (t, scale) in [Float(1), 2.5, 0, 40].enumerated() {
      let u = random(dInner, -2...2)
      let delta = random(dInner, 0.001...0.5)
      var y = [Float](repeating: 0, count: dInner)
      SelectiveScan.step(
        h: &hFast, u: u, delta: delta, a: a, b: b, c: c, d: d, decayScale: scale, dInner: dInner, dState: dState, y: &y)
      let expected = SelectiveScanReference.step(
        h: &hReference, u: u, delta: delta, a: a, b: b, c: c, d: d, decayScale: scale)
      #expect(maxAbsDifference(y, expected) <= 1e-5, "step \(t) scale \(scale)")
      #expect(maxAbsDifference(hFast, hReference) <= 1e-5)
    }
  }

  @Test func decayScaleInStepAndSequenceAgree() throws {
    var block = MambaBlock(weights: try MambaWeights(file: try MambaFixtures.weights("d37e2n8_bias_L64")))
    let io = try MambaFixtures.io("d37e2n8_bias_L64")
    let scales = (0..<io.length).map { Float(1 + ($0 % 5)) * 0.5 }
    var state = MambaState(config: block.config)
    let stepped = block.runSteps(io.input, length: io.length, state: &state, decayScales: scales)
    let sequence = block.forward(io.input, length: io.length, decayScales: scales)
    #expect(maxAbsDifference(stepped, sequence) <= 1e-5)
    #expect(maxAbsDifference(stepped, io.output) > 1e-3)  // the scales really changed the result
  }
}
