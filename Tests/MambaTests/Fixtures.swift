import Foundation
import Mamba
import ModelIO
import TestSupport

/// Reference fixtures written by tools/fixtures/make_mamba_fixtures.sh (mambapy).
enum MambaFixtures {
  static let directory = Repository.root.appendingPathComponent("Tests/Fixtures/mamba")
  static let blocks = ["d20e1n16_L1", "d20e1n16_L7", "d20e1n16_L64", "d37e2n8_bias_L64", "d13e2n16_L512"]

  static func weights(_ name: String) throws -> SafeTensors {
    try SafeTensors(path: directory.appendingPathComponent("\(name).weights.safetensors").path)
  }

  /// input, output (sequence forward), step_output (recurrent steps), each (L, dModel).
  static func io(_ name: String) throws -> (input: [Float], output: [Float], steps: [Float]?, length: Int) {
    let file = try SafeTensors(path: directory.appendingPathComponent("\(name).io.safetensors").path)
    let input = try file.tensor("input")
    let steps = file.entries["step_output"] != nil ? try file.tensor("step_output").scalars : nil
    return (input.scalars, try file.tensor("output").scalars, steps, input.shape[0])
  }
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
  precondition(a.count == b.count, "sizes differ: \(a.count) vs \(b.count)")
  return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

extension MambaBlock {
  /// L recurrent steps from a fresh state, outputs stacked (L, dModel).
  mutating func runSteps(_ x: [Float], length: Int, state: inout MambaState, decayScales: [Float]? = nil) -> [Float] {
    let d = config.dModel
    var out = [Float](repeating: 0, count: length * d)
    x.withUnsafeBufferPointer { x in
      out.withUnsafeMutableBufferPointer { out in
        for t in 0..<length {
          step(x.baseAddress! + t * d, state: &state, decayScale: decayScales?[t] ?? 1, into: out.baseAddress! + t * d)
        }
      }
    }
    return out
  }
}
