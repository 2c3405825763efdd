import Core
import Foundation
import TestSupport
import Testing
import Video

/// H1: a few hundred bytes of picture with an extreme geometry crashed the
/// whole process in libswscale (32768×2) or asked for 24.6 GB (2,000,000×1).
/// Such pictures are now refused with one line naming the source, before any
/// buffer is sized for them, wherever they come from (file, stream, example).
@Suite struct PictureBoundsTests {
  let directory: URL

  init() throws { directory = try Repository.temporaryDirectory("picture-bounds") }

  /// One still of `width`×`height` red pixels (ffmpeg CLI).
  private func still(_ name: String, width: Int, height: Int, codec: [String] = []) throws -> String {
    let path = directory.appendingPathComponent(name).path
    try ChildProcess.run(
      "/usr/bin/ffmpeg",
      ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=red:size=\(width)x\(height)"]
        + ["-frames:v", "1"] + codec + [path])
    return path
  }

  private func expectRefused(_ path: String, width: Int, height: Int) {
    #expect {
      var options = SourceOptions()
      options.sampleRate = nil
      let source = try VideoSource(url: path, options: options)
      while try source.nextFrame() != nil {}
    } throws: { error in
      let refused = (error as? VideoError)?.reason == .unsupportedPicture(width: width, height: height)
      let named = "\(error)".hasPrefix(path + ": picture \(width)x\(height) refused")
      return refused && named
    }
  }

  @Test func h1ExtremeAspectRatioIsRefusedNotCrashed() throws {
    expectRefused(try still("wide.png", width: 32768, height: 2), width: 32768, height: 2)
    expectRefused(try still("tall.png", width: 2, height: 32768), width: 2, height: 32768)
  }

  @Test func h1HugePictureIsRefusedBeforeAllocating() throws {
    // The review's 5.9 KB PNG (ffmpeg's lavfi cannot make a 2,000,000×1 picture).
    let path = directory.appendingPathComponent("w2m.png").path
    let script = """
      import zlib,struct,sys;w,h=2000000,1
      c=lambda t,d:struct.pack('>I',len(d))+t+d+struct.pack('>I',zlib.crc32(t+d))
      open(sys.argv[1],'wb').write(b'\\x89PNG\\r\\n\\x1a\\n'+c(b'IHDR',struct.pack('>IIBBBBB',w,h,8,2,0,0,0))\
      +c(b'IDAT',zlib.compress(b'\\0'+b'\\x80'*3*w,9))+c(b'IEND',b''))
      """
    try ChildProcess.run("/usr/bin/python3", ["-c", script, path])
    expectRefused(path, width: 2_000_000, height: 1)
  }

  /// The stream's header says 320×240; its second picture is 32768×2. The
  /// converter refuses that picture (the file source ends with the error).
  @Test func h1ExtremePictureInsideAStreamIsRefused() throws {
    let small = try Data(contentsOf: URL(fileURLWithPath: try still("s.jpg", width: 320, height: 240)))
    let wide = try Data(
      contentsOf: URL(fileURLWithPath: try still("w.jpg", width: 32768, height: 2, codec: ["-pix_fmt", "yuvj420p"])))
    let path = directory.appendingPathComponent("mixed.mjpeg").path
    try (small + wide + small).write(to: URL(fileURLWithPath: path))
    expectRefused(path, width: 32768, height: 2)
  }

  @Test func realCameraGeometriesAreAccepted() {
    for (width, height) in [(3840, 2160), (7680, 2160), (15360, 8640), (640, 40), (1, 1), (336, 336)] {
      #expect(Limits.acceptsPicture(width: width, height: height), "\(width)x\(height)")
    }
    for (width, height) in [(0, 480), (16385, 1080), (4096, 255), (-1, 10)] {
      #expect(!Limits.acceptsPicture(width: width, height: height), "\(width)x\(height)")
    }
  }
}
