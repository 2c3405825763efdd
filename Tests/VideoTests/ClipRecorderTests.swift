import Core
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Video

/// The clip recorder on a real H.264 file read by a `VideoSource`: clips are
/// asked for as the daemon asks (begin at an episode's start, end at its
/// end), and the clips directory stays under its bound, oldest first.
@Suite struct ClipRecorderTests {
  /// Clips a recorder finished (on the source's thread).
  private final class FinishedClips: Sendable {
    let clips = Mutex<[ClipRecorder.Clip]>([])
  }

  /// A recorder with `settings` on `video`, read at 10 fps as the daemon's reader reads it.
  private func recording(_ video: String, _ settings: ClipRecorder.Settings) throws -> (
    ClipRecorder, VideoSource, FinishedClips
  ) {
    let finished = FinishedClips()
    let recorder = ClipRecorder(
      settings: settings, camera: "test", onClip: { clip in finished.clips.withLock { $0.append(clip) } },
      log: { _ in })
    var options = SourceOptions()
    options.geometry = .clip(32)
    options.sampleRate = 10
    options.clips = recorder
    return (recorder, try VideoSource(url: video, options: options), finished)
  }

  @Test func clipsAreBoundedOldestFirstButTheNewestStays() throws {
    let directory = try Repository.temporaryDirectory("clip-recorder")
    let video = directory.appendingPathComponent("pattern.mp4").path
    try ChildProcess.run(
      "/usr/bin/ffmpeg",
      [
        "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=30",
        "-c:v", "libx264", "-g", "10", "-pix_fmt", "yuv420p", video,
      ])
    var settings = ClipRecorder.Settings(directory: directory.appendingPathComponent("clips").path)
    settings.preRoll = 1
    settings.postRoll = 1
    settings.maxBytes = 1  // every clip is over it: only the newest may stay
    let (recorder, source, finished) = try recording(video, settings)
    let episodes = [(5.0, 8.0), (12.0, 14.0), (20.0, 23.0)]
    let ids = (0..<3).map { String(format: "0000000%d-0000-4000-8000-000000000000", $0) }
    while let frame = try source.nextFrame() {
      for (index, (start, end)) in episodes.enumerated() {
        if abs(frame.pts - start) < 0.05 { recorder.begin(id: ids[index], at: start) }
        if abs(frame.pts - end) < 0.05 { recorder.end(id: ids[index], at: end) }
      }
    }
    recorder.close()
    let clips = finished.clips.withLock { $0 }
    #expect(clips.map(\.id) == ids)
    for (clip, (start, end)) in zip(clips, episodes) {
      // Keyframes every second: the clip starts on the one at start − 1 s and ends past end + 1 s.
      #expect(abs(clip.startTime - (start - 1)) < 0.05 && clip.endTime >= end + 1, "\(clip)")
    }
    let kept = try FileManager.default.contentsOfDirectory(atPath: settings.directory)
    #expect(kept == ["\(ids[2]).mp4"])
  }

  /// A camera whose clock jumps back (two 10 s recordings, each from PTS 0,
  /// one after the other in a transport stream, as a camera that restarts its
  /// encoder sends them): the ring keeps the last `ringSeconds` of the stream's
  /// own timeline, not packets from before the jump, and a clip after the jump
  /// starts at its pre-roll.
  @Test func theRingHoldsItsSecondsWhenTheCameraClockJumpsBack() throws {
    let directory = try Repository.temporaryDirectory("clip-ring-jump")
    var segments: [String] = []
    for (index, pattern) in ["testsrc2", "smptebars"].enumerated() {
      let segment = directory.appendingPathComponent("part\(index).ts").path
      try ChildProcess.run(
        "/usr/bin/ffmpeg",
        [
          "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
          "\(pattern)=size=320x240:rate=10:duration=10",
          "-c:v", "libx264", "-g", "10", "-pix_fmt", "yuv420p", "-f", "mpegts", segment,
        ])
      segments.append(segment)
    }
    let video = directory.appendingPathComponent("jump.ts").path
    let joined = try segments.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }.reduce(Data(), +)
    try joined.write(to: URL(fileURLWithPath: video))
    var settings = ClipRecorder.Settings(directory: directory.appendingPathComponent("clips").path)
    settings.ringSeconds = 3
    settings.preRoll = 1
    settings.postRoll = 1
    let (recorder, source, finished) = try recording(video, settings)
    let id = "00000001-0000-4000-8000-000000000000"
    var last = 0.0
    while let frame = try source.nextFrame() {
      last = frame.pts
      if abs(frame.pts - 15) < 0.05 { recorder.begin(id: id, at: 15) }
      if abs(frame.pts - 17) < 0.05 { recorder.end(id: id, at: 17) }
    }
    #expect(last > 19, "the source's timeline runs on across the jump: \(last)")
    let times = recorder.ring.entries.map(\.time)
    // At most the bound plus one group of pictures (1 s), all from after the jump.
    #expect(
      times.count <= 42 && (times.min() ?? 0) >= last - 4.1, "\(times.count) packets, \(times.min() ?? 0)…\(last)")
    recorder.close()
    let clips = finished.clips.withLock { $0 }
    #expect(clips.map(\.id) == [id])
    if let clip = clips.first { #expect(abs(clip.startTime - 14) < 0.05 && clip.endTime >= 18, "\(clip)") }
  }
}
