import Mamba
import ModelIO
import Tensor
import TestSupport
import Testing

@Suite struct TemporalAdapterTests {
  @Test func trainedAdapterMatchesReference() throws {
    let adapter = try TemporalAdapter(file: try MambaFixtures.weights("adapter"))
    let io = try MambaFixtures.io("adapter")
    #expect(abs(adapter.gate - 0.7) < 1e-6)
    #expect(maxAbsDifference(adapter.forward(io.input, length: io.length), io.output) <= 1e-4)

    var stepping = adapter
    var state = stepping.makeState()
    let d = adapter.config.dModel
    var out = [Float](repeating: 0, count: io.input.count)
    io.input.withUnsafeBufferPointer { e in
      out.withUnsafeMutableBufferPointer { r in
        for t in 0..<io.length {
          // frames exactly at the nominal interval reproduce the reference
          stepping.step(e.baseAddress! + t * d, time: Double(t) * 0.5, state: &state, into: r.baseAddress! + t * d)
        }
      }
    }
    #expect(maxAbsDifference(out, io.output) <= 1e-4)
  }

  /// Frames at irregular times (jitter, twice and half the rate, dropped
  /// frames, gaps that clear the conv window): the daemon's continuous-time
  /// step equals the PyTorch one the adapter trainer trains
  /// (tools/temporal/continuous_mamba.py, itself equal to mambapy at the
  /// nominal rate).
  @Test func irregularFramesMatchTheContinuousTimeReference() throws {
    var adapter = try TemporalAdapter(file: try MambaFixtures.weights("adapter"))
    let file = try SafeTensors(
      path: MambaFixtures.directory.appendingPathComponent("adapter_irregular.io.safetensors").path)
    let input = try file.tensor("input").scalars
    let times = try file.tensor("times").scalars
    let expected = try file.tensor("output").scalars
    #expect(file.metadata["nominal_interval"] == "0.5" && adapter.nominalInterval == 0.5)
    let d = adapter.config.dModel
    var state = adapter.makeState()
    var out = [Float](repeating: 0, count: input.count)
    input.withUnsafeBufferPointer { e in
      out.withUnsafeMutableBufferPointer { r in
        for (t, time) in times.enumerated() {
          adapter.step(e.baseAddress! + t * d, time: Double(time), state: &state, into: r.baseAddress! + t * d)
        }
      }
    }
    #expect(maxAbsDifference(out, expected) <= 1e-4)
    // The times matter: the same frames at the nominal rate give another output.
    let io = try MambaFixtures.io("adapter")
    #expect(maxAbsDifference(io.output, expected) > 1e-2)
  }

  @Test func untrainedAdapterReturnsItsInputExactly() {
    var adapter = TemporalAdapter(untrained: MambaConfig(dModel: 24, dState: 16, expand: 1), seed: 3)
    var state = adapter.makeState()
    var rng = SplitMix64(seed: 9)
    for t in 0..<50 {
      let e = (0..<24).map { _ in rng.nextFloat(in: -1...1) }
      var r = [Float](repeating: .nan, count: 24)
      adapter.step(e, time: Double(t) * 0.37, state: &state, into: &r)
      #expect(r == e)
    }
    #expect(state.mamba.steps == 50)
  }

  @Test func lateFramesDecayTheStateByRealTime() throws {
    var adapter = try TemporalAdapter(file: try MambaFixtures.weights("adapter"))
    let io = try MambaFixtures.io("adapter")
    let d = adapter.config.dModel
    func run(times: [Double]) -> MambaState {
      var state = adapter.makeState()
      var r = [Float](repeating: 0, count: d)
      io.input.withUnsafeBufferPointer { e in
        for (t, time) in times.enumerated() {
          adapter.step(e.baseAddress! + t * d, time: time, state: &state, into: &r)
        }
      }
      return state.mamba
    }
    let regular = run(times: (0..<10).map { Double($0) * 0.5 })
    let shortGap = run(times: (0..<10).map { $0 < 9 ? Double($0) * 0.5 : 14 })
    // Some channels remember for thousands of steps (small Δ): a day decays them all.
    let gap = run(times: (0..<10).map { $0 < 9 ? Double($0) * 0.5 : 86_400 })
    let energy = { (s: MambaState) in s.ssm.reduce(0) { $0 + Double($1 * $1) } }
    // After a long outage the old state has decayed and the conv window has
    // emptied: the step equals the first step of a fresh stream.
    var fresh = adapter.makeState()
    var r = [Float](repeating: 0, count: d)
    io.input.withUnsafeBufferPointer { adapter.step($0.baseAddress! + 9 * d, time: 0, state: &fresh, into: &r) }
    #expect(energy(gap) < energy(shortGap) && energy(shortGap) < energy(regular))
    #expect(maxAbsDifference(gap.ssm, fresh.mamba.ssm) < 1e-6)
    #expect(gap.convWindow == fresh.mamba.convWindow)
  }
}
