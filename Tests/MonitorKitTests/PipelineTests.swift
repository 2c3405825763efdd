import Core
import Foundation
import MonitorKit
import Rules
import TestSupport
import Testing

/// The pipeline's parts without a camera: the queue's drop and batching
/// policy, delivery off the inference thread, and a camera restarted after
/// its source gives up.
@Suite struct PipelineTests {
  static func frame(_ pts: Double, size: Int = 8) -> Frame {
    Frame(
      pts: pts, width: size, height: size, pixels: [UInt8](repeating: 128, count: size * size * 3), sourceWidth: size,
      sourceHeight: size)
  }

  static func event(_ id: String) -> AlertEvent {
    AlertEvent(
      kind: .new, id: id, camera: "cam", rule: "r", label: "r", score: 0.9, topScore: 0.9, threshold: 0.5,
      startTime: 0, endTime: nil, frameTime: 0, snapshot: nil, model: "test")
  }

  @Test func queueDropsTheOldestAndBatchesOneFramePerCamera() {
    let a = CameraID(index: 0, name: "a")
    let b = CameraID(index: 1, name: "b")
    let queue = FrameQueue(capacity: 3)
    for (camera, time) in [(a, 1.0), (a, 2.0), (b, 3.0), (a, 4.0)] {
      queue.push(.init(camera: camera, frame: Self.frame(time)))
    }
    #expect(queue.dropped(camera: a) == 1 && queue.dropped(camera: b) == 0)
    let first = queue.popBatch(maximum: 8) ?? []
    #expect(first.map(\.camera) == [a, b] && first.map(\.frame.pts) == [2, 3])
    #expect(queue.popBatch(maximum: 8)?.map(\.frame.pts) == [4])
    queue.close()
    #expect(queue.popBatch(maximum: 8) == nil)
  }

  /// A sink that blocks (a stalled disk or broker) never holds up the caller;
  /// events arrive in order, each snapshot encoded as JPEG on the way.
  @Test func deliveryIsOffTheCallersThreadInOrderWithJPEGSnapshots() {
    final class SlowSink: AlertSink, @unchecked Sendable {
      let recorder = Recorder<AlertEvent>()
      func deliver(_ event: AlertEvent) {
        Thread.sleep(forTimeInterval: 0.2)
        recorder.append(event)
      }
    }
    let sink = SlowSink()
    let delivery = EventDelivery(sinks: [sink], log: { _ in })
    delivery.start()
    let started = Date()
    for i in 1...5 {
      delivery.enqueue([
        PendingEvent(
          event: Self.event("e\(i)"),
          snapshot: BestFrame(picture: Self.frame(0, size: 16).picture, rolling: [[1, 0]], model: "test"))
      ])
    }
    #expect(Date().timeIntervalSince(started) < 0.1)
    delivery.stop(timeout: 5)
    #expect(sink.recorder.all.map(\.id) == ["e1", "e2", "e3", "e4", "e5"])
    #expect(sink.recorder.all.allSatisfy { $0.snapshot?.starts(with: [0xFF, 0xD8]) == true })
  }

  /// A file camera whose file is missing used to stop for good ("this camera
  /// stops, the others go on"); it is now retried with backoff and picked up
  /// once the file appears.
  @Test func cameraWhoseSourceThrowsIsRestarted() throws {
    let directory = try Repository.temporaryDirectory("pipeline")
    let video = directory.appendingPathComponent("late.mp4")
    var configuration = Configuration(node: "test", threads: 1)
    configuration.rulesDirectory = directory.appendingPathComponent("rules").path
    configuration.stateDirectory = directory.path
    configuration.clipModel = DaemonTests.model
    configuration.mqtt.enabled = false
    var camera = Configuration.Camera(name: "late", url: video.path)
    camera.motion = false
    camera.loop = true
    configuration.cameras = [camera]
    let log = Recorder<String>()
    let daemon = try Daemon(configuration: configuration, sinks: [], log: { log.append($0) })
    daemon.start()
    defer { daemon.stop(timeout: 2) }
    #expect(
      waitUntil(timeout: 5) {
        log.all.contains { $0.hasPrefix("camera late: \(video.path): no such file; retrying in") }
      })
    let made = try TestVideos.make(codec: .h264, seconds: 2, fps: 10, width: 64, height: 48, in: directory)
    try FileManager.default.moveItem(at: made, to: video)
    #expect(waitUntil(timeout: 10) { (daemon.counters.first?.embedded ?? 0) > 0 }, "\(log.all)")
  }
}
