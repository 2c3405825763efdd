import ArgumentParser
import Core
import Foundation
import Video

/// Decode + resize + centre-crop throughput of one file, every frame.
struct VideoBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "video",
    abstract: "Decode and resize every frame of a file; print frames/s as one key=value line.")

  @Argument(help: "Video file to decode.")
  var file: String

  @Option(help: "Decoder threads.")
  var threads = 1

  @Option(help: "Output size N (shortest side resized to N, centre crop N×N).")
  var size = 224

  @Option(help: "Runs; the best is reported (the first also warms the page cache).")
  var runs = 3

  func run() throws {
    var best = Double.infinity
    var frames = 0
    for _ in 0..<runs {
      var options = SourceOptions()
      options.geometry = .clip(size)
      options.sampleRate = nil
      options.decoderThreads = threads
      let source = try VideoSource(url: file, options: options)
      let started = Date()
      var count = 0
      var checksum = 0
      while let frame = try source.nextFrame() {
        count += 1
        checksum &+= Int(frame.pixels[frame.pixels.count / 2])
      }
      best = min(best, Date().timeIntervalSince(started))
      frames = count
      precondition(checksum >= 0)
    }
    print(
      "frames=\(frames) seconds=\(String(format: "%.3f", best)) fps=\(String(format: "%.1f", Double(frames) / best)) "
        + "threads=\(threads) rss_mib=\(String(format: "%.1f", ResidentMemory.mebibytes))")
  }
}
