import Foundation
import ModelIO
import TestSupport
import Testing

@testable import History

@Suite struct MemoryBankTests {
  /// A unit vector along axis `i` of 4, nudged by `tilt` towards axis 3.
  static func axis(_ i: Int, tilt: Float = 0) -> [Float] {
    var v = [Float](repeating: 0, count: 4)
    v[i] = 1
    v[3] += tilt
    return v
  }

  /// Over capacity, the most similar adjacent pair merges: means weighted by
  /// frames, spans joined; an isolated change keeps its own entry.
  @Test func mergesTheMostSimilarAdjacentPair() {
    var bank = MemoryBank<Int>(capacity: 3)
    bank.add(Self.axis(0), time: 0, keepsake: 0)
    bank.add(Self.axis(0, tilt: 0.1), time: 1, keepsake: 1)
    bank.add(Self.axis(1), time: 2, keepsake: 2)
    #expect(bank.entries.count == 3)
    bank.add(Self.axis(2), time: 3, keepsake: 3)
    // Frames 0 and 1 (nearly the same) merged; 2 and 3 stay apart.
    #expect(bank.entries.map(\.frames) == [2, 1, 1])
    #expect(bank.entries.map(\.start) == [0, 2, 3] && bank.entries.map(\.end) == [1, 2, 3])
    #expect(bank.entries[0].mean == [1, 0, 0, 0.05])
    // A third still frame joins the still stretch, weighted 2:1.
    bank.add(Self.axis(2, tilt: 0.3), time: 4, keepsake: 4)
    #expect(bank.entries.map(\.frames) == [2, 1, 2])
    bank.add(Self.axis(0, tilt: 0.5), time: 5, keepsake: 5)
    #expect(bank.entries.count == 3 && bank.entries.map(\.frames).reduce(0, +) == 6)
  }

  /// Merged entries keep the frame nearest their mean: the majority's look, not the outlier's.
  @Test func keepsTheFrameNearestTheMean() {
    var bank = MemoryBank<Int>(capacity: 1)
    bank.add(Self.axis(0, tilt: 0.4), time: 0, keepsake: 0)
    bank.add(Self.axis(0), time: 1, keepsake: 1)
    bank.add(Self.axis(0), time: 2, keepsake: 2)
    bank.add(Self.axis(0), time: 3, keepsake: 3)
    #expect(bank.entries.count == 1 && bank.entries[0].frames == 4)
    #expect(bank.entries[0].keepsake != 0)
    #expect(bank.entries[0].start == 0 && bank.entries[0].end == 3)
  }

  /// However long the stream, a block holds at most `capacity` entries; a
  /// frame in a later block closes the one before, aligned to the block length.
  @Test func blocksCloseOnTheirBoundaryAndStayBounded() {
    var memory = BlockedMemory<Int>(blockSeconds: 60, capacity: 4)
    var closed: [BlockedMemory<Int>.Block] = []
    for step in 0..<600 {
      let time = 1_000 + Double(step) * 0.5  // 2 fps from 16:40
      if let block = memory.add(Self.axis(step % 3), time: time, keepsake: step) { closed.append(block) }
      #expect((memory.current?.entries.count ?? 0) <= 4)
    }
    #expect(closed.map(\.start) == [960, 1_020, 1_080, 1_140, 1_200])
    #expect(closed.allSatisfy { $0.entries.count == 4 })
    // The first block began with the first frame; every frame is counted once.
    #expect(closed[0].entries.first?.start == 1_000)
    let frames =
      closed.flatMap(\.entries).map(\.frames).reduce(0, +) + memory.current!.entries.map(\.frames).reduce(0, +)
    #expect(frames == 600)
    #expect(memory.current?.start == 1_260)
  }
}

/// The retrospective re-ranker is trained on memories that
/// tools/temporal/memory_bank.py makes: they must be the ones this bank
/// stores (spans, frame counts and means, block by block).
@Suite struct MemoryBankReferenceTests {
  @Test func reproducesTheTrainersMemory() throws {
    let file = try SafeTensors(
      path: Repository.root.appendingPathComponent("Tests/Fixtures/mamba/memory_bank.io.safetensors").path)
    let frames = try file.tensor("frames")
    let times = try file.tensor("times").scalars
    let width = frames.shape[1]
    var memory = BlockedMemory<Int>(
      blockSeconds: Double(file.metadata["block_seconds"] ?? "") ?? 0,
      capacity: Int(file.metadata["capacity"] ?? "") ?? 0)
    var entries: [MemoryBank<Int>.Entry] = []
    for (index, time) in times.enumerated() {
      let embedding = Array(frames.scalars[(index * width)..<((index + 1) * width)])
      if let closed = memory.add(embedding, time: Double(time), keepsake: index) { entries += closed.entries }
    }
    entries += memory.current?.entries ?? []
    #expect(entries.map { Float($0.start) } == (try file.tensor("starts").scalars))
    #expect(entries.map { Float($0.end) } == (try file.tensor("ends").scalars))
    #expect(entries.map { Float($0.frames) } == (try file.tensor("counts").scalars))
    let means = try file.tensor("means").scalars
    let gap = zip(entries.flatMap(\.mean), means).map { abs($0 - $1) }.max() ?? .infinity
    #expect(entries.count == 12 && gap <= 1e-5)
  }
}
