import Core
import Foundation
import TestSupport
import Testing
import Video

/// File sources through real libavformat/libavcodec, on videos the ffmpeg CLI
/// makes at test time.
@Suite struct FileSourceTests {
  let directory: URL

  init() throws { directory = try Repository.temporaryDirectory("file-source") }

  private func readAll(_ source: VideoSource, limit: Int = 100_000) throws -> [Frame] {
    var frames: [Frame] = []
    while frames.count < limit, let frame = try source.nextFrame() { frames.append(frame) }
    return frames
  }

  private func options(size: Int = 224, fps: Double? = nil) -> SourceOptions {
    var options = SourceOptions()
    options.geometry = .clip(size)
    options.sampleRate = fps
    return options
  }

  @Test(arguments: [("h264", "mp4"), ("mjpeg", "avi"), ("h264", "ts"), ("mjpeg", "mkv")])
  func decodesEveryFrameWithModelSizeAndIncreasingPTS(codec: String, container: String) throws {
    let video = try TestVideos.make(
      codec: TestVideos.Codec(rawValue: codec)!, seconds: 2, fps: 25, width: 320, height: 240, container: container,
      in: directory)
    let source = try VideoSource(url: video.path, options: options())
    let frames = try readAll(source)
    #expect(frames.count == 50)
    #expect(frames.allSatisfy { $0.width == 224 && $0.height == 224 && $0.pixels.count == 224 * 224 * 3 })
    #expect(frames.allSatisfy { $0.sourceWidth == 320 && $0.sourceHeight == 240 })
    #expect(abs(frames[0].pts) < 1e-9)
    for (a, b) in zip(frames, frames.dropFirst()) { #expect(abs(b.pts - a.pts - 0.04) < 1e-3) }
    #expect(source.stats.decoded == 50 && source.stats.delivered == 50 && source.stats.damaged == 0)
  }

  @Test func samplesTwoFramesPerSecondByPTS() throws {
    let video = try TestVideos.make(codec: .h264, seconds: 6, fps: 25, width: 160, height: 120, in: directory)
    let frames = try readAll(try VideoSource(url: video.path, options: options(size: 64, fps: 2)))
    #expect(frames.count == 12)
    for (a, b) in zip(frames, frames.dropFirst()) { #expect(abs(b.pts - a.pts - 0.5) <= 0.04 + 1e-6) }
  }

  /// Left half red, right half blue, 2:1: after shortest-side resize to 224
  /// (448×224) and the centre crop, the crop's left half is red and its right
  /// half blue; a plain squash would put the boundary at the same place but a
  /// crop of the wrong region would show only one colour.
  @Test func usesCLIPResizeAndCentreCrop() throws {
    let image = directory.appendingPathComponent("halves.png")
    try ChildProcess.run(
      "/usr/bin/ffmpeg",
      [
        "-hide_banner", "-loglevel", "error", "-y", "-filter_complex",
        "color=c=red:s=200x200,format=rgb24[a];color=c=blue:s=200x200,format=rgb24[b];[a][b]hstack",
        "-frames:v", "1", image.path,
      ])
    let frames = try readAll(try VideoSource(url: image.path, options: options()))
    #expect(frames.count == 1)
    let frame = try #require(frames.first)
    #expect(frame.sourceWidth == 400 && frame.sourceHeight == 200)
    let left = frame.rgb(x: 50, y: 112)
    let right = frame.rgb(x: 174, y: 112)
    #expect(left.0 > 240 && left.2 < 15)
    #expect(right.2 > 240 && right.0 < 15)
    // The boundary is at the crop's centre column.
    #expect(frame.rgb(x: 108, y: 112).0 > 200 && frame.rgb(x: 116, y: 112).2 > 200)
  }

  /// Quadrants red | blue over green | white, 400×400, as a PNG (packed RGB)
  /// and as H.264 (planar YUV 4:2:0, whose chroma planes a region cuts at half
  /// the offset): a region sees only its quadrant, at the model's size.
  @Test(arguments: ["png", "mp4"]) func regionsSeeOnlyTheirPartOfThePicture(format: String) throws {
    let image = directory.appendingPathComponent("quadrants.\(format)")
    try ChildProcess.run(
      "/usr/bin/ffmpeg",
      [
        "-hide_banner", "-loglevel", "error", "-y", "-filter_complex",
        "color=c=red:s=200x200[a];color=c=blue:s=200x200[b];color=c=green:s=200x200[c];"
          + "color=c=white:s=200x200[d];[a][b]hstack[top];[c][d]hstack[bottom];[top][bottom]vstack,format="
          + (format == "png" ? "rgb24" : "yuv420p"),
        "-frames:v", "1", image.path,
      ])
    func picture(_ region: PictureGeometry.Region) throws -> Frame {
      var options = options()
      options.geometry = PictureGeometry(size: 32, resize: .squash, region: region)
      return try #require(try readAll(try VideoSource(url: image.path, options: options)).first)
    }
    let topRight = try picture(#require(PictureGeometry.Region(x: 0.5, y: 0, width: 0.5, height: 0.5)))
    let bottomLeft = try picture(#require(PictureGeometry.Region(x: 0, y: 0.5, width: 0.5, height: 0.5)))
    let bottomRight = try picture(#require(PictureGeometry.Region(x: 0.5, y: 0.5, width: 0.5, height: 0.5)))
    #expect(topRight.width == 32 && topRight.sourceWidth == 400)
    for (x, y) in [(1, 1), (16, 16), (30, 30)] {
      let blue = topRight.rgb(x: x, y: y)
      let green = bottomLeft.rgb(x: x, y: y)
      let white = bottomRight.rgb(x: x, y: y)
      #expect(blue.2 > 200 && blue.0 < 40 && blue.1 < 40, "\(blue)")
      #expect(green.1 > 100 && green.0 < 40 && green.2 < 40, "\(green)")
      #expect(white.0 > 220 && white.1 > 220 && white.2 > 220, "\(white)")
    }
  }

  /// A source asked for regions cuts each one from the full-resolution
  /// picture beside the model's frame: a strip of the bottom right quadrant
  /// (white) arrives whole, padded to a square with the pad colour above and
  /// below; regions not asked for are not cut.
  @Test func sourcesCutTheRegionsInUsePaddedToASquare() throws {
    let image = directory.appendingPathComponent("quadrants-regions.png")
    try ChildProcess.run(
      "/usr/bin/ffmpeg",
      [
        "-hide_banner", "-loglevel", "error", "-y", "-filter_complex",
        "color=c=red:s=200x200[a];color=c=blue:s=200x200[b];color=c=green:s=200x200[c];"
          + "color=c=white:s=200x200[d];[a][b]hstack[top];[c][d]hstack[bottom];[top][bottom]vstack,format=rgb24",
        "-frames:v", "1", image.path,
      ])
    var options = options()
    options.geometry = .clip(32)
    let strip = try #require(PictureGeometry.Region(x: 0.5, y: 0.75, width: 0.5, height: 0.125))
    let corner = try #require(PictureGeometry.Region(x: 0, y: 0, width: 0.5, height: 0.5))
    options.regions = [
      "strip": options.geometry.cutting(strip, pad: [10, 200, 30]),
      "corner": options.geometry.cutting(corner, pad: [0, 0, 0]),
    ]
    let source = try VideoSource(url: image.path, options: options)
    source.cutRegions(["strip"])
    let frame = try #require(try readAll(source).first)
    #expect(frame.regions.keys.sorted() == ["strip"])
    let cut = try #require(frame.picture(.region("strip")))
    #expect(cut.width == 32 && cut.height == 32)
    let view = Frame(pts: 0, width: 32, height: 32, pixels: cut.pixels, sourceWidth: 400, sourceHeight: 400)
    // 200×50 → 32×8, centred: rows 12…19 white, the rest the pad colour.
    for x in [0, 16, 31] {
      #expect(view.rgb(x: x, y: 2) == (10, 200, 30) && view.rgb(x: x, y: 29) == (10, 200, 30))
      let white = view.rgb(x: x, y: 16)
      #expect(white.0 > 240 && white.1 > 240 && white.2 > 240, "\(white)")
    }
  }

  /// SigLIP's squash keeps the whole 2:1 picture (the boundary in the middle,
  /// both colours to the edges); a snapshot is the camera's view, aspect kept.
  @Test func squashKeepsTheWholePictureAndSnapshotsKeepTheAspect() throws {
    let image = directory.appendingPathComponent("wide.png")
    try ChildProcess.run(
      "/usr/bin/ffmpeg",
      [
        "-hide_banner", "-loglevel", "error", "-y", "-filter_complex",
        "color=c=red:s=100x100,format=rgb24[a];color=c=blue:s=100x100,format=rgb24[b];[a][b]hstack",
        "-frames:v", "1", image.path,
      ])
    var options = options()
    options.geometry = PictureGeometry(size: 32, resize: .squash)
    options.snapshot = PictureGeometry(size: 100, resize: .fit)
    let frame = try #require(try readAll(try VideoSource(url: image.path, options: options)).first)
    #expect(frame.rgb(x: 1, y: 16).0 > 240 && frame.rgb(x: 30, y: 16).2 > 240)
    let snapshot = try #require(frame.snapshot?.picture())
    #expect(snapshot.width == 100 && snapshot.height == 50)
    let left = Frame(
      pts: 0, width: snapshot.width, height: snapshot.height, pixels: snapshot.pixels, sourceWidth: 200,
      sourceHeight: 100)
    #expect(left.rgb(x: 2, y: 25).0 > 240 && left.rgb(x: 97, y: 25).2 > 240)
  }

  @Test(arguments: ["png", "jpg", "ppm"])
  func decodesStillImages(format: String) throws {
    let image = try TestVideos.still(width: 300, height: 200, format: format, in: directory)
    let frames = try readAll(try VideoSource(url: image.path, options: options(size: 96)))
    #expect(frames.count == 1 && frames[0].width == 96 && frames[0].sourceWidth == 300)
  }

  @Test func loopingFileKeepsGoingWithMonotonicPTS() throws {
    let video = try TestVideos.make(codec: .h264, seconds: 1, fps: 10, width: 64, height: 64, in: directory)
    var loopOptions = options(size: 32)
    loopOptions.loop = true
    let source = try VideoSource(url: video.path, options: loopOptions)
    let frames = try readAll(source, limit: 35)
    #expect(frames.count == 35)
    for (a, b) in zip(frames, frames.dropFirst()) { #expect(abs(b.pts - a.pts - 0.1) < 1e-3) }
    #expect(source.stats.loops == 3)
  }

  @Test func missingFileIsAOneLineErrorNamingIt() throws {
    let path = directory.appendingPathComponent("nope.mp4").path
    #expect {
      _ = try VideoSource(url: path, options: options()).nextFrame()
    } throws: { error in
      "\(error)" == "\(path): no such file"
    }
  }

  @Test func audioOnlyFileHasNoVideoStream() throws {
    let audio = directory.appendingPathComponent("tone.wav")
    try ChildProcess.run(
      "/usr/bin/ffmpeg",
      ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=duration=0.5", audio.path])
    #expect {
      _ = try VideoSource(url: audio.path, options: options()).nextFrame()
    } throws: { error in
      "\(error)" == "\(audio.path): no video stream in this source"
    }
  }

  @Test func garbageFileIsReportedNotCrashing() throws {
    let garbage = directory.appendingPathComponent("garbage.mp4")
    try Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: garbage)
    #expect(throws: VideoError.self) { _ = try VideoSource(url: garbage.path, options: options()).nextFrame() }
  }

  @Test(arguments: [(TestVideos.Codec.h264, "ts"), (TestVideos.Codec.mjpeg, "avi"), (TestVideos.Codec.h264, "mp4")])
  func garbageInTheMiddleIsSkippedAndCounted(codec: TestVideos.Codec, container: String) throws {
    let clean = try TestVideos.make(
      codec: codec, seconds: 4, fps: 25, width: 160, height: 120, container: container, in: directory)
    let damaged = try TestVideos.damaged(clean, garbageAt: 0.5, count: 3000, in: directory)
    let source = try VideoSource(url: damaged.path, options: options(size: 32))
    let frames = try readAll(source)
    // Frames from both sides of the damage come out, in order.
    #expect(frames.first.map { $0.pts < 0.5 } == true)
    #expect(frames.last.map { $0.pts > 3.5 } == true)
    #expect(frames.count >= 70 && frames.count <= 100)
    #expect(source.stats.damaged > 0)
    for (a, b) in zip(frames, frames.dropFirst()) { #expect(b.pts > a.pts) }
  }

  @Test(arguments: [(TestVideos.Codec.h264, "ts"), (TestVideos.Codec.mjpeg, "avi")])
  func truncatedFileDeliversWhatIsThere(codec: TestVideos.Codec, container: String) throws {
    let clean = try TestVideos.make(
      codec: codec, seconds: 4, fps: 25, width: 160, height: 120, container: container, in: directory)
    let truncated = try TestVideos.truncated(clean, keeping: 0.5, in: directory)
    let frames = try readAll(try VideoSource(url: truncated.path, options: options(size: 32)))
    #expect(frames.count >= 35 && frames.count <= 55)
  }
}
