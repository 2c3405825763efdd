import Foundation
import TestSupport
import Testing

/// Clips around episodes, end to end with the real binary: the demo video
/// re-encoded with a keyframe every second as a paced file camera, `[clips]`
/// at its defaults (5 s before, 5 s after), the HTTP API on. Every clip must
/// decode, start at the last keyframe at or before the episode's start minus
/// the pre-roll, cover the episode and its post-roll, arrive as an `update`
/// after the episode's `end`, be listed by the history and served with
/// range requests.
@Suite(.serialized) struct ClipTests {
  static func object(_ line: some StringProtocol) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:]
  }

  @Test(.timeLimit(.minutes(3))) func episodesGetClipsThatDecodeAndCoverThem() throws {
    let directory = try Repository.temporaryDirectory("clips")
    let video = directory.appendingPathComponent("camera.mp4").path
    try ChildProcess.run(
      "/usr/bin/ffmpeg",
      [
        "-hide_banner", "-loglevel", "error", "-y", "-i", DemoVideo.path, "-t", "40", "-c:v", "libx264", "-g", "8",
        "-keyint_min", "8", "-sc_threshold", "0", "-pix_fmt", "yuv420p", video,
      ])
    let config = try DaemonConfig.demo(in: directory)
    let port = Network.freePort()
    try (try String(contentsOfFile: config, encoding: .utf8))
      .replacingOccurrences(of: DemoVideo.path, with: video)
      .appending("\n[http]\nenabled = true\nlisten = \"127.0.0.1:\(port)\"\n")
      .write(toFile: config, atomically: true, encoding: .utf8)
    let eventsFile = directory.appendingPathComponent("events.jsonl").path
    let daemon = try ChildProcess(
      try Executables.path("monitor"), ["run", "--config", config, "--events-file", eventsFile, "--seconds", "30"])
    defer { daemon.kill() }
    func events() -> [[String: Any]] {
      ((try? String(contentsOfFile: eventsFile, encoding: .utf8)) ?? "").split(separator: "\n").map(Self.object)
    }
    var clipped: [[String: Any]] = []
    #expect(
      waitUntil(timeout: 60) {
        clipped = events().filter { $0["has_clip"] as? Bool == true }
        return !clipped.isEmpty
      }, "\(daemon.log)")
    let clip = try #require(clipped.first)
    let id = try #require(clip["id"] as? String)

    // The HTTP API serves the clip whole and in ranges.
    let url = "http://127.0.0.1:\(port)/api/clips/\(id).mp4"
    let range = try Curl.get(url, ["-r", "0-99", "-o", directory.appendingPathComponent("head.bin").path])
    #expect(range.status == 206)
    #expect((try? Data(contentsOf: directory.appendingPathComponent("head.bin")))?.count == 100)
    #expect(try Curl.get("http://127.0.0.1:\(port)/api/clips/\(id).mp4.part").status == 404)
    daemon.process.waitUntilExit()
    #expect(daemon.process.terminationStatus == 0, "\(daemon.log)")

    let all = events()
    try SchemaValidation.expectValid(
      ((try? String(contentsOfFile: eventsFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init),
      against: "event", in: directory)
    let episodes = Dictionary(grouping: all, by: { $0["id"] as? String ?? "" })
    for clip in all.filter({ $0["has_clip"] as? Bool == true }) {
      let id = clip["id"] as! String
      let events = episodes[id] ?? []
      let kinds = events.map { $0["type"] as? String ?? "" }
      #expect(kinds.first == "new" && kinds.last == "update" && kinds.dropLast().last == "end", "\(events)")
      let start = try #require(events.first?["start_time"] as? Double)
      let end = try #require(clip["end_time"] as? Double)
      let clipStart = try #require(clip["clip_start_time"] as? Double)
      let clipEnd = try #require(clip["clip_end_time"] as? Double)
      // At or before start − 5 s, on the keyframe before it (one per second), unless the video began later.
      #expect(clipStart <= max(0, start - 5) + 1e-6 && clipStart > start - 5 - 1.01, "\(clipStart) for \(start)")
      #expect(clipEnd >= end, "clip ends at \(clipEnd), the episode at \(end)")
      let path = directory.appendingPathComponent("clips/\(id).mp4").path
      let decoded = try ChildProcess.run(
        "/usr/bin/ffprobe",
        [
          "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of",
          "csv=p=0", path,
        ])
      let frames = Int(decoded.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
      // The demo is 8 fps: every frame of the clip's span decodes.
      #expect(abs(Double(frames) - (clipEnd - clipStart) * 8 - 1) <= 2, "\(frames) frames for \(clipStart)–\(clipEnd)")
      let errors = try ChildProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-i", path, "-f", "null", "-"])
      #expect(errors.isEmpty, "\(errors)")
    }
    #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("clips.partial/\(id).mp4").path))
    let listed = try Executables.monitor(["events", "--config", config, "--json"])
    #expect(listed.output.contains("\"clip\":\"\(id).mp4\""), "\(listed.output)")
  }

  /// A clip that cannot be written (here: its directory cannot be made, as
  /// on a full or read-only disk) is one log line; the episode's events all go out.
  @Test(.timeLimit(.minutes(2))) func aClipThatCannotBeWrittenLosesNothingElse() throws {
    let directory = try Repository.temporaryDirectory("clips-unwritable")
    let config = try DaemonConfig.demo(in: directory)
    try "not a directory".write(
      to: directory.appendingPathComponent("clips.partial"), atomically: true, encoding: .utf8)
    let eventsFile = directory.appendingPathComponent("events.jsonl").path
    let run = try Executables.monitor(["run", "--config", config, "--events-file", eventsFile, "--seconds", "15"])
    #expect(run.status == 0, "\(run.output)")
    let events = try String(contentsOfFile: eventsFile, encoding: .utf8).split(separator: "\n").map(Self.object)
    let opened = Set(events.filter { $0["type"] as? String == "new" }.compactMap { $0["id"] as? String })
    let ended = Set(events.filter { $0["type"] as? String == "end" }.compactMap { $0["id"] as? String })
    #expect(!opened.isEmpty && opened == ended, "\(events)")
    #expect(!events.contains { $0["has_clip"] != nil })
    for id in opened {
      #expect(run.output.contains("camera demo: clip of episode \(id) not written: "), "\(run.output)")
    }
  }

  /// A source of raw pictures (a v4l2 camera without compression, here a
  /// lavfi graph) has no packets to keep: said once, no clip, alerts as usual.
  @Test(.timeLimit(.minutes(2))) func rawSourcesSaySoOnce() throws {
    let directory = try Repository.temporaryDirectory("clips-raw")
    let config = try DaemonConfig.write(
      in: directory, mqttPort: nil, cameraURL: "lavfi:testsrc2=size=160x120:rate=10", cameraLines: ["fps = 2"])
    let run = try Executables.monitor(["run", "--config", config, "--seconds", "4"])
    #expect(run.status == 0, "\(run.output)")
    let line = "camera cam: no clips: raw video has no compressed packets to keep (events still carry snapshots)"
    #expect(run.output.components(separatedBy: line).count == 2, "\(run.output)")
  }
}
