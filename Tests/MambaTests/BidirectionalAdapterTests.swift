import Foundation
import Mamba
import ModelIO
import TestSupport
import Testing

@Suite struct BidirectionalAdapterTests {
  /// The retrospective re-ranker equals tools/temporal/bidirectional.py (two
  /// mambapy blocks, one scanning the entries backwards) on the same weights,
  /// at every entry and every boundary between two entries.
  @Test func matchesTheReference() throws {
    let adapter = try BidirectionalAdapter(file: try MambaFixtures.weights("bidirectional"))
    let io = try MambaFixtures.io("bidirectional")
    let file = try SafeTensors(
      path: MambaFixtures.directory.appendingPathComponent("bidirectional.io.safetensors").path)
    #expect(abs(adapter.gate - 0.6) < 1e-6)
    #expect(adapter.trainedBlockSeconds == 120 && adapter.trainedEntriesPerBlock == 8 && adapter.transitionSeconds == 2)
    let (entries, boundaries) = adapter.forward(io.input, length: io.length)
    #expect(maxAbsDifference(entries, io.output) <= 1e-4)
    #expect(maxAbsDifference(boundaries, try file.tensor("boundary_output").scalars) <= 1e-4)
  }

  /// Unlike the causal adapter, the first output depends on the last entry.
  @Test func looksBothWays() throws {
    let adapter = try BidirectionalAdapter(file: try MambaFixtures.weights("bidirectional"))
    let io = try MambaFixtures.io("bidirectional")
    let d = adapter.dModel
    var later = io.input
    for i in 0..<d { later[(io.length - 1) * d + i] = Float(i % 5) - 2 }
    let changed = adapter.forward(later, length: io.length).entries
    #expect(maxAbsDifference(Array(changed[0..<d]), Array(io.output[0..<d])) > 1e-3)
    #expect(adapter.forward([], length: 0).entries.isEmpty)
    #expect(adapter.forward(Array(io.input[0..<d]), length: 1).boundaries.isEmpty)
  }

  /// A causal adapter's file is not a re-ranker: the error names the missing tensor.
  @Test func refusesAFileWithoutTheBackwardScan() throws {
    let causal = try MambaFixtures.weights("adapter")
    #expect {
      _ = try BidirectionalAdapter(file: causal)
    } throws: { error in
      "\(error)".contains("forward.in_proj.weight") && "\(error)".contains("adapter.weights.safetensors")
    }
  }
}
