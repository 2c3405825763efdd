import Core
import FuzzSupport
import Video

/// Any bytes as a picture file (camera frame, rule example, `embed` input):
/// FFmpeg probes and decodes it, our geometry bounds (`Limits`) refuse what is
/// too large before any buffer is sized, and a frame that comes out is N×N.
runFuzzer { data, size in
  let path = FuzzInput.write(FuzzInput(data, size).data, named: "picture")
  var options = SourceOptions()
  options.geometry = .clip(32)
  options.sampleRate = nil
  options.openTimeout = 2
  options.stallTimeout = 2
  guard let source = try? VideoSource(url: path, options: options) else { return 0 }
  for _ in 0..<2 {
    guard let frame = try? source.nextFrame() else { break }
    precondition(frame.width == 32 && frame.height == 32)
  }
  return 0
}
