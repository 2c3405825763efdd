/// A packed RGB24 picture, row-major, `width * height * 3` bytes.
public struct Picture: Sendable, Equatable {
  public var width: Int
  public var height: Int
  public var pixels: [UInt8]

  public init(width: Int, height: Int, pixels: [UInt8]) {
    precondition(pixels.count == width * height * 3, "RGB24 picture needs width*height*3 bytes")
    (self.width, self.height, self.pixels) = (width, height, pixels)
  }
}

/// One decoded, model-ready picture from a camera.
///
/// `pixels` is packed RGB24, row-major, `width * height * 3` bytes, already
/// resized and centre-cropped with CLIP's geometry (shortest side to N,
/// bicubic, centre crop N×N), so every stage downstream sees the same shape.
public struct Frame: Sendable {
  /// Presentation time in seconds since the source first delivered a frame.
  /// Strictly increasing for one source, also across reconnects and file loops,
  /// and advancing by real elapsed seconds across an outage.
  public var pts: Double
  /// Size of `pixels` (the model's input size).
  public var width: Int
  public var height: Int
  /// Packed RGB24, `width * height * 3` bytes.
  public var pixels: [UInt8]
  /// Size of the picture as the camera sent it.
  public var sourceWidth: Int
  public var sourceHeight: Int
  /// When the frame left the decoder (monotonic clock): latency is measured from here.
  public var decodedAt: ContinuousClock.Instant
  /// The camera's whole view at snapshot size, rendered on demand, when the
  /// source was asked for one: alert snapshots show it rather than the
  /// model's square crop.
  public var snapshot: SnapshotSource?
  /// The camera's regions in use, each cut from the decoded picture and
  /// brought to the model's input size on its own (see `CameraView`).
  public var regions: [String: Picture] = [:]

  public init(
    pts: Double, width: Int, height: Int, pixels: [UInt8], sourceWidth: Int, sourceHeight: Int,
    decodedAt: ContinuousClock.Instant = .now
  ) {
    precondition(pixels.count == width * height * 3, "RGB24 frame needs width*height*3 bytes")
    self.pts = pts
    self.width = width
    self.height = height
    self.pixels = pixels
    self.sourceWidth = sourceWidth
    self.sourceHeight = sourceHeight
    self.decodedAt = decodedAt
  }

  /// The model picture as a `Picture`.
  public var picture: Picture { Picture(width: width, height: height, pixels: pixels) }

  /// The model input showing `view`; nil for a region this frame was not cut for.
  public func picture(_ view: CameraView) -> Picture? {
    switch view {
    case .whole: return picture
    case .region(let name): return regions[name]
    }
  }

  /// What an alert shows: the camera's view when the source keeps one, else the model's square.
  public func snapshotPicture() -> Picture { snapshot?.picture() ?? picture }

  /// The RGB triple at (x, y).
  public func rgb(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
    let i = (y * width + x) * 3
    return (pixels[i], pixels[i + 1], pixels[i + 2])
  }
}
