import Foundation
import TestSupport
import Testing

/// RTSP camera → `monitor run` → real mosquitto → a subscriber: the episode's
/// `new` and `end`, the retained state and a decodable JPEG snapshot, with
/// payloads valid against `schemas/event.schema.json`.
@Suite(.serialized) struct MQTTEndToEndTests {
  @Test func rtspCameraToSubscriber() throws {
    let directory = try Repository.temporaryDirectory("mqtt-e2e")
    let video = try DaemonTests.sceneChangeVideo(in: directory)
    let (rule, predicted) = try DaemonTests.calibratedRule(video: video)
    var options = RTSPTestServer.Options()
    options.file = video
    let server = try RTSPTestServer(options: options)
    let broker = try MosquittoBroker()
    let subscriber = try broker.subscribe(["monitor/test/events", "monitor/test/+/+/state", "monitor/test/available"])
    let cameras = "[[cameras]]\nname = \"rtsp-cam\"\nurl = \"\(server.url)\"\nmotion = false"
    let mqtt = "[mqtt]\nhost = \"127.0.0.1\"\nport = \(broker.port)\nprefix = \"monitor\""
    let (_, log) = try DaemonTests().runDaemon(cameras: cameras, rule: rule, seconds: 16, mqtt: mqtt)
    #expect(log.contains("mqtt 127.0.0.1:\(broker.port): connected"), "\(log)")

    #expect(waitUntil(timeout: 5) { subscriber.log.contains("monitor/test/available offline") })
    let lines = subscriber.log.split(separator: "\n").map(String.init)
    let events = lines.filter { $0.hasPrefix("monitor/test/events ") }.map {
      String($0.dropFirst("monitor/test/events ".count))
    }
    let kinds = events.compactMap { line in ["new", "update", "end"].first { line.contains("\"type\":\"\($0)\"") } }
    #expect(kinds.filter { $0 != "update" } == predicted.filter { $0.kind != .update }.map(\.kind.rawValue), "\(lines)")
    let stateTopic = "monitor/test/rtsp-cam/\(rule.id)/state"
    #expect(lines.contains("\(stateTopic) ON") && lines.last { $0.hasPrefix(stateTopic) } == "\(stateTopic) OFF")
    #expect(lines.contains("monitor/test/available online"))

    // Every payload validates against the schema kept in the repository.
    let payloads = directory.appendingPathComponent("events.jsonl")
    try events.joined(separator: "\n").write(to: payloads, atomically: true, encoding: .utf8)
    let validation = try ChildProcess(
      "/bin/sh",
      [
        "-c",
        "\(Repository.script("validate-json")) \(Repository.root.path)/schemas/event.schema.json < \(payloads.path)",
      ])
    validation.process.waitUntilExit()
    #expect(validation.process.terminationStatus == 0, "\(validation.log)")

    // The retained snapshot is a JPEG FFmpeg decodes.
    let snapshot = try ChildProcess(
      "/usr/bin/mosquitto_sub",
      [
        "-h", "127.0.0.1", "-p", String(broker.port), "-C", "1", "-N", "-t",
        "monitor/test/rtsp-cam/\(rule.id)/snapshot",
      ])
    snapshot.process.waitUntilExit()
    let jpeg = try Data(contentsOf: snapshot.logURL)
    #expect(jpeg.prefix(2) == Data([0xFF, 0xD8]))
    let file = directory.appendingPathComponent("snapshot.jpg")
    try jpeg.write(to: file)
    let probe = try ChildProcess.run(
      "/usr/bin/ffprobe",
      ["-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", file.path])
    // The camera's whole view (160×120), not the model's 40×40 square.
    #expect(probe.hasPrefix("mjpeg,160,120"), "\(probe)")
  }
}
