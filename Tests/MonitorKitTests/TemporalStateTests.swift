import Core
import Foundation
import ModelIO
import MonitorKit
import Rules
import Synchronization
import Tensor
import TestSupport
import Testing

/// M7: the temporal state survives restarts (saved on stop and periodically,
/// restored only for the same model, decayed over the gap).
@Suite struct TemporalStateTests {
  /// A settable wall clock for `CameraState`.
  final class Clock: Sendable {
    let now = Mutex(1_000.0)
    var read: @Sendable () -> Double { { [self] in now.withLock { $0 } } }
    func set(_ t: Double) { now.withLock { $0 = t } }
  }

  static func frame(_ pts: Double) -> Frame {
    Frame(pts: pts, width: 2, height: 2, pixels: [UInt8](repeating: 9, count: 12), sourceWidth: 2, sourceHeight: 2)
  }

  static func embeddings(_ count: Int, dimension: Int) -> [[Float]] {
    var random = SystemRandomNumberGenerator()
    return (0..<count).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &random) } }
  }

  static func reopened(_ saved: (tensors: [String: Tensor], metadata: [String: String])) throws -> SafeTensors {
    let path = try Repository.temporaryDirectory("temporal-state").appendingPathComponent("s.safetensors").path
    try SafeTensorsWriter.write(saved.tensors, metadata: saved.metadata, to: path)
    return try SafeTensors(path: path)
  }

  /// A state saved after 5 s of frames and restored 30 s later, stepped on a
  /// new stream clock, equals the state that never stopped and saw the next
  /// frame 30 s later; a fresh state does not.
  @Test(arguments: [true, false]) func m7RestoredStateDecaysOverTheGapAsIfNeverStopped(adapter: Bool) throws {
    let model = try Engine(clipDirectory: nil, temporalFile: nil)
    let engine =
      adapter ? model : Engine(clip: model.clip, adapter: nil, modelName: "pooling", fingerprint: "pooling")
    let rule = Rule(id: "r", text: ["a person falls"])
    let inputs = Self.embeddings(12, dimension: engine.clip.config.projectionDim)
    let clock = Clock()
    var running = CameraState(camera: "hall", engine: engine, wallClock: clock.read)
    for (i, embedding) in inputs.dropLast().enumerated() {
      clock.set(1_000 + 0.5 * Double(i))
      _ = running.process(
        frame: Self.frame(0.5 * Double(i)), embeddings: [.whole: embedding], rules: [rule], engine: engine)
    }
    let saved = try #require(running.savedTemporalState())
    let stopped = 1_000 + 0.5 * Double(inputs.count - 2)
    #expect(saved.metadata["wall_time"] == String(stopped))

    clock.set(stopped + 30)
    var restarted = CameraState(camera: "hall", engine: engine, wallClock: clock.read)
    #expect(try restarted.restoreTemporalState(Self.reopened(saved)) == 30)
    var fresh = CameraState(camera: "hall", engine: engine, wallClock: clock.read)
    let last = inputs.last!
    let continued = running.process(
      frame: Self.frame(0.5 * Double(inputs.count - 2) + 30), embeddings: [.whole: last], rules: [rule], engine: engine)
    let resumed = restarted.process(frame: Self.frame(0.25), embeddings: [.whole: last], rules: [rule], engine: engine)
    _ = fresh.process(frame: Self.frame(0.25), embeddings: [.whole: last], rules: [rule], engine: engine)

    let a = try #require(running.savedTemporalState()).tensors
    let b = try #require(restarted.savedTemporalState()).tensors
    let c = try #require(fresh.savedTemporalState()).tensors
    for name in a.keys {
      let difference = zip(a[name]!.scalars, b[name]!.scalars).map { abs($0 - $1) }.max() ?? 0
      #expect(difference <= 1e-6, "\(name) differs by \(difference)")
    }
    let freshDifference = a.keys.flatMap { name in zip(a[name]!.scalars, c[name]!.scalars).map { abs($0 - $1) } }
    #expect((freshDifference.max() ?? 0) > 1e-3, "a fresh state should differ from a resumed one")
    #expect(abs(continued.scores[0].raw - resumed.scores[0].raw) <= 1e-6)
  }

  /// A state saved for the other temporal model is refused, naming both.
  @Test func m7StateOfAnotherTemporalModelIsRefused() throws {
    let model = try Engine(clipDirectory: nil, temporalFile: nil)
    let pooling = Engine(clip: model.clip, adapter: nil, modelName: "pooling")
    var state = CameraState(camera: "hall", engine: model)
    let embedding = Self.embeddings(1, dimension: model.clip.config.projectionDim)[0]
    _ = state.process(frame: Self.frame(0), embeddings: [.whole: embedding], rules: [], engine: model)
    let saved = try #require(state.savedTemporalState())
    var other = CameraState(camera: "hall", engine: pooling)
    #expect(throws: ModelError.self) { _ = try other.restoreTemporalState(Self.reopened(saved)) }
  }

  /// Through the real binary: a stopped daemon leaves each camera's state in
  /// `<state_dir>/temporal`, the next start restores it; another model's
  /// state (a changed fingerprint) is set aside with a log line.
  @Test(.timeLimit(.minutes(2))) func m7DaemonSavesAtStopAndRestoresAtStart() throws {
    let directory = try Repository.temporaryDirectory("temporal-daemon")
    let config = try DaemonConfig.demo(in: directory)
    let monitor = try Executables.path("monitor")
    let first = try ChildProcess(monitor, ["run", "--config", config, "--seconds", "3"])
    first.process.waitUntilExit()
    let saved = directory.path + "/temporal/demo.safetensors"
    let file = try SafeTensors(path: saved)
    #expect(file.metadata["kind"] == "mamba" && file.metadata["model"] != nil, "\(first.log)")
    let second = try ChildProcess(monitor, ["run", "--config", config, "--seconds", "2"])
    second.process.waitUntilExit()
    #expect(second.log.contains("camera demo: temporal state restored (saved "), "\(second.log)")
    // The same file under another model's fingerprint: not restored.
    var tensors: [String: Tensor] = [:]
    for name in file.names { tensors[name] = try file.tensor(name) }
    var metadata = file.metadata
    metadata["model"] = "0"
    try SafeTensorsWriter.write(tensors, metadata: metadata, to: saved)
    let third = try ChildProcess(monitor, ["run", "--config", config, "--seconds", "1"])
    third.process.waitUntilExit()
    #expect(third.log.contains("camera demo: saved temporal state is from another model; starting fresh"))
  }
}
