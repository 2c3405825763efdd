import Core
import Foundation
import TestSupport
import Testing
import Video

@Suite struct JPEGEncoderTests {
  @Test func snapshotDecodesBackToTheSamePicture() throws {
    let directory = try Repository.temporaryDirectory("jpeg")
    let still = try TestVideos.still(width: 320, height: 240, format: "png", in: directory)
    var options = SourceOptions()
    options.geometry = .clip(160)
    let original = try #require(try VideoSource(url: still.path, options: options).nextFrame())

    let encoder = JPEGEncoder(quality: 90)
    let jpeg = try encoder.encode(original)
    #expect(jpeg.prefix(2) == [0xFF, 0xD8] && jpeg.suffix(2) == [0xFF, 0xD9])
    // The encoder is reused across frames and sizes.
    #expect(try encoder.encode(original) == jpeg)
    let small = Frame(
      pts: 0, width: 8, height: 6, pixels: [UInt8](repeating: 77, count: 8 * 6 * 3), sourceWidth: 8, sourceHeight: 6)
    #expect(try !encoder.encode(small).isEmpty)

    let file = directory.appendingPathComponent("snapshot.jpg")
    try Data(jpeg).write(to: file)
    let decoded = try #require(try VideoSource(url: file.path, options: options).nextFrame())
    #expect(decoded.width == 160 && decoded.sourceWidth == 160 && decoded.sourceHeight == 160)
    let meanError =
      zip(decoded.pixels, original.pixels).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) }
      / Double(jpeg.count > 0 ? original.pixels.count : 1)
    #expect(meanError < 6, "mean absolute error \(meanError) grey levels")
  }

  @Test func lowerQualityIsSmaller() throws {
    let frame = Frame(
      pts: 0, width: 64, height: 64, pixels: (0..<(64 * 64 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 31 ^ $0 >> 5) },
      sourceWidth: 64, sourceHeight: 64)
    let best = try JPEGEncoder(quality: 100).encode(frame)
    let worst = try JPEGEncoder(quality: 1).encode(frame)
    #expect(worst.count < best.count / 2)
  }
}
