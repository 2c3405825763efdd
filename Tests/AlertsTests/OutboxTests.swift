import Alerts
import Foundation
import TestSupport
import Testing

@Suite struct OutboxPolicyTests {
  @Test func staleUpdatesGoFirstNewAndEndStay() {
    let policy = OutboxPolicy(capacity: 3)
    let entries: [(sequence: UInt64, kind: OutboxPolicy.Kind)] = [
      (1, .new), (2, .update), (3, .update), (4, .end), (5, .update),
    ]
    #expect(policy.drops(entries) == [2, 3])
    #expect(policy.drops(Array(entries.prefix(3))).isEmpty)
    let onlyNewEnd: [(sequence: UInt64, kind: OutboxPolicy.Kind)] = (1...13).map { ($0, $0 % 2 == 0 ? .end : .new) }
    #expect(policy.drops(onlyNewEnd) == [1])  // past 4× capacity the oldest goes
  }
}

@Suite struct OutboxTests {
  @Test func survivesARestartInOrderAndForgetsAcknowledged() throws {
    let directory = try Repository.temporaryDirectory("outbox").path
    var outbox: Outbox? = try Outbox(directory: directory)
    for i in 1...5 { outbox!.append(topic: "t/events", payload: Data("event \(i)".utf8), kind: .new) }
    outbox!.remove(2)
    outbox = nil  // as after SIGKILL: nothing else is written on the way out
    let reopened = try Outbox(directory: directory)
    #expect(
      reopened.pending.map { String(decoding: $0.payload, as: UTF8.self) } == [
        "event 1", "event 3", "event 4", "event 5",
      ])
    let next = reopened.append(topic: "t/events", payload: Data("event 6".utf8), kind: .end).message
    #expect(next.sequence == 6)
  }

  @Test func damagedRecordsAreReportedGoodOnesKept() throws {
    let directory = try Repository.temporaryDirectory("outbox").path
    let outbox = try Outbox(directory: directory)
    for i in 1...3 { outbox.append(topic: "t/events", payload: Data("event \(i)".utf8), kind: .update) }
    let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    // Truncate the second record, fill the third with garbage.
    let second = directory + "/" + files[1]
    let bytes = try Data(contentsOf: URL(fileURLWithPath: second))
    try bytes.prefix(bytes.count - 3).write(to: URL(fileURLWithPath: second))
    try Data((0..<64).map { UInt8($0 * 7 & 0xFF) }).write(to: URL(fileURLWithPath: directory + "/" + files[2]))
    let reopened = try Outbox(directory: directory)
    #expect(reopened.pending.map { String(decoding: $0.payload, as: UTF8.self) } == ["event 1"])
    #expect(reopened.problems.count == 2 && reopened.problems.allSatisfy { $0.contains("damaged outbox record") })
    #expect(FileManager.default.fileExists(atPath: second + ".bad"))
  }

  @Test func capacityDropsUpdatesAndCounts() throws {
    let outbox = try Outbox(directory: try Repository.temporaryDirectory("outbox").path, capacity: 2)
    outbox.append(topic: "e", payload: Data("n".utf8), kind: .new)
    outbox.append(topic: "e", payload: Data("u".utf8), kind: .update)
    let dropped = outbox.append(topic: "e", payload: Data("e".utf8), kind: .end).dropped
    #expect(dropped == [2] && outbox.dropped == 1)
    #expect(outbox.pending.map(\.kind) == [.new, .end])
  }

  /// L8: an unusable state_dir printed Foundation's multi-line error dictionary.
  @Test func l8UnusableDirectoryIsOneLine() throws {
    let file = try Repository.temporaryDirectory("outbox").appendingPathComponent("state")
    try Data("x".utf8).write(to: file)
    #expect {
      _ = try Outbox(directory: file.path + "/outbox")
    } throws: { error in
      "\(error)" == "\(file.path)/outbox: cannot create the directory (Not a directory)"
    }
  }

  /// H5: a write failure keeps the message (in memory, in order) instead of
  /// losing it; the next append writes to disk again.
  @Test func h5DiskFailureKeepsTheMessageInMemoryAndResumes() throws {
    let directory = try Repository.temporaryDirectory("outbox").path
    let outbox = try Outbox(directory: directory)
    try FileManager.default.removeItem(atPath: directory)
    let failed = outbox.append(topic: "e", payload: Data("kept".utf8), kind: .new)
    #expect(failed.failure?.description.hasSuffix(": cannot create (No such file or directory)") == true)
    #expect(outbox.pending.map(\.sequence) == [failed.message.sequence] && outbox.unstored == 1)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let stored = outbox.append(topic: "e", payload: Data("stored".utf8), kind: .end)
    #expect(stored.failure == nil && outbox.pending.count == 2 && outbox.unstored == 1)
    #expect(try Outbox(directory: directory).pending.map(\.payload) == [Data("stored".utf8)])
  }
}
