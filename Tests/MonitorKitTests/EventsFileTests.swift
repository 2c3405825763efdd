import Core
import Foundation
import MonitorKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// H4: `--events-file` on a full disk, a FIFO or a closed pipe trapped in
/// Foundation's `FileHandle` (`try!`) and took the event down with the daemon.
@Suite struct EventsFileTests {
  static func event(_ id: String) -> AlertEvent {
    AlertEvent(
      kind: .new, id: id, camera: "hall", rule: "falls", label: "a person falls", score: 0.8, topScore: 0.8,
      threshold: 0.6, startTime: 1, endTime: nil, frameTime: 1, snapshot: nil, model: "test")
  }

  @Test func h4FullDiskIsLoggedOnceAndCounted() throws {
    let log = Recorder<String>()
    let sink = try JSONLinesSink(path: "/dev/full", log: { log.append($0) })
    for i in 1...3 { sink.deliver(Self.event("e\(i)")) }
    #expect(log.all == ["events file /dev/full: No space left on device; event e1 not written (more are counted)"])
  }

  @Test func h4ClosedPipeIsAnErrorNotADeath() throws {
    var fds: [Int32] = [0, 0]
    #expect(pipe(&fds) == 0)
    signal(SIGPIPE, SIG_IGN)  // as `monitor` does at start
    defer { close(fds[1]) }
    let log = Recorder<String>()
    let sink = try JSONLinesSink(path: "/proc/self/fd/\(fds[1])", log: { log.append($0) })
    close(fds[0])  // the reader goes away (`| head` finished)
    sink.deliver(Self.event("e1"))
    #expect(log.all.count == 1 && log.all[0].contains("Broken pipe; event e1 not written"))
  }

  @Test func h4FifoWithoutReaderIsRefusedAtStart() throws {
    let directory = try Repository.temporaryDirectory("events-file")
    let fifo = directory.appendingPathComponent("events.fifo").path
    #expect(mkfifo(fifo, 0o600) == 0)
    #expect {
      _ = try JSONLinesSink(path: fifo, log: { _ in })
    } throws: { error in
      "\(error)" == "\(fifo): cannot open the events file: it is a FIFO that no process reads"
    }
  }

  @Test func appendsOneJSONLinePerEventAndRecovers() throws {
    let directory = try Repository.temporaryDirectory("events-file")
    let path = directory.appendingPathComponent("events.jsonl").path
    try Data("{\"earlier\":1}\n".utf8).write(to: URL(fileURLWithPath: path))
    let sink = try JSONLinesSink(path: path, log: { _ in })
    sink.deliver(Self.event("a"))
    sink.deliver(Self.event("b"))
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 3 && lines[0] == "{\"earlier\":1}")
    #expect(lines[1].contains("\"id\":\"a\"") && lines[2].contains("\"id\":\"b\""))
  }
}
