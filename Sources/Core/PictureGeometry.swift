/// How a decoded camera picture becomes a model's input or a snapshot. The
/// policy belongs to the model (CLIP publishes the one its
/// `preprocessor_config.json` asks for); Video carries it out with swscale
/// and knows no other model geometry. Pure: `plan` is the whole arithmetic.
public struct PictureGeometry: Sendable, Hashable, CustomStringConvertible {
  public enum Resize: String, Sendable, Hashable {
    /// Shortest side to `size` (the other scaled and floored), then the
    /// centre `size`×`size`: Hugging Face's CLIPImageProcessor
    /// (`shortest_edge` resize + `center_crop`).
    case shortestSideThenCentreCrop
    /// Both sides to `size`, the aspect ratio not kept, nothing cropped:
    /// SigLIP's image processor (`size` = height × width).
    case squash
    /// Longest side to at most `size`, aspect kept, never enlarged: snapshots.
    case fit
    /// Longest side to `size` (enlarged when smaller), aspect kept, centred on
    /// a `size`×`size` canvas of `pad`: a region for a model that would
    /// otherwise centre-crop, so nothing of the region is cut off (LLaVA's
    /// "pad" aspect mode fills with the processor's mean colour, which
    /// normalises to zero, for the same reason).
    case padToSquare
  }

  /// The resampling filter (the processor's `resample`: 3 bicubic, 2 bilinear).
  public enum Filter: String, Sendable, Hashable {
    case bicubic, bilinear
  }

  /// A part of the picture, in fractions of its width and height (0…1), for
  /// rules that watch one region of a camera at the model's full resolution.
  public struct Region: Sendable, Hashable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    /// nil unless the rectangle lies within the picture and is not empty.
    public init?(x: Double, y: Double, width: Double, height: Double) {
      guard [x, y, width, height].allSatisfy(\.isFinite), x >= 0, y >= 0, width > 0, height > 0,
        x + width <= 1 + 1e-9, y + height <= 1 + 1e-9
      else { return nil }
      (self.x, self.y, self.width, self.height) = (x, y, width, height)
    }
  }

  /// A rectangle in pixels.
  public struct Rectangle: Sendable, Hashable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
      (self.x, self.y, self.width, self.height) = (x, y, width, height)
    }
  }

  /// What to do with one picture size: scale `source` (a rectangle of the
  /// decoded picture) to `scaledWidth`×`scaledHeight`, then keep `output` of
  /// that; any part of `output` outside the scaled picture is `pad` colour.
  public struct Plan: Sendable, Hashable {
    public var source: Rectangle
    public var scaledWidth: Int
    public var scaledHeight: Int
    public var output: Rectangle
  }

  /// Output side N (the model's input size; for `fit`, the longest side).
  public var size: Int
  public var resize: Resize
  public var filter: Filter
  public var region: Region?
  /// RGB of the canvas `padToSquare` centres the picture on.
  public var pad: [UInt8] = [0, 0, 0]

  public init(size: Int, resize: Resize, filter: Filter = .bicubic, region: Region? = nil) {
    precondition(size > 0, "picture size must be positive")
    self.size = size
    self.resize = resize
    self.filter = filter
    self.region = region
  }

  /// The geometry for `region` of the picture this model geometry takes
  /// whole: all of the region at the model's input size, nothing cut off. A
  /// model that squashes squashes the region too; one that centre-crops gets
  /// it padded to a square with `pad` (its processor's mean colour).
  public func cutting(_ region: Region, pad: [UInt8]) -> PictureGeometry {
    precondition(pad.count == 3, "pad is an RGB triple")
    var geometry = PictureGeometry(
      size: size, resize: resize == .squash ? .squash : .padToSquare, filter: filter, region: region)
    geometry.pad = pad
    return geometry
  }

  /// CLIP's geometry at input size `size` (OpenAI's and `transformers`' default).
  public static func clip(_ size: Int) -> PictureGeometry {
    PictureGeometry(size: size, resize: .shortestSideThenCentreCrop)
  }

  public var description: String {
    "\(resize.rawValue) \(size)px \(filter.rawValue)"
      + (region.map { " region \($0.x),\($0.y) \($0.width)x\($0.height)" } ?? "")
  }

  /// The plan for a decoded `width`×`height` picture (both positive, within
  /// `Limits.acceptsPicture`). A region's rectangle is aligned to even pixels
  /// so subsampled chroma planes can be cut at the same place.
  public func plan(width: Int, height: Int) -> Plan {
    let source =
      region.map { Self.rectangle($0, width: width, height: height) }
      ?? Rectangle(x: 0, y: 0, width: width, height: height)
    let (w, h) = (source.width, source.height)
    switch resize {
    case .shortestSideThenCentreCrop:
      // transformers' get_resize_output_image_size: the short side to N, the long one floored.
      let scaled = w <= h ? (size, max(size, size * h / w)) : (max(size, size * w / h), size)
      let output = Rectangle(x: (scaled.0 - size) / 2, y: (scaled.1 - size) / 2, width: size, height: size)
      return Plan(source: source, scaledWidth: scaled.0, scaledHeight: scaled.1, output: output)
    case .squash:
      return Plan(
        source: source, scaledWidth: size, scaledHeight: size, output: Rectangle(x: 0, y: 0, width: size, height: size))
    case .padToSquare:
      // The long side to N; the short one scaled alike (at least 1 pixel) and centred.
      let scaled =
        w >= h
        ? (size, max(1, Int((Double(h * size) / Double(w)).rounded())))
        : (max(1, Int((Double(w * size) / Double(h)).rounded())), size)
      let output = Rectangle(x: -(size - scaled.0) / 2, y: -(size - scaled.1) / 2, width: size, height: size)
      return Plan(source: source, scaledWidth: scaled.0, scaledHeight: scaled.1, output: output)
    case .fit:
      let long = max(w, h)
      let scale = long <= size ? 1 : Double(size) / Double(long)
      // Even sides: JPEG's subsampled chroma wants them.
      let scaled = (max(2, Int((Double(w) * scale).rounded()) & ~1), max(2, Int((Double(h) * scale).rounded()) & ~1))
      return Plan(
        source: source, scaledWidth: scaled.0, scaledHeight: scaled.1,
        output: Rectangle(x: 0, y: 0, width: scaled.0, height: scaled.1))
    }
  }

  /// `region` in pixels of a `width`×`height` picture, on even coordinates, at least 2×2.
  static func rectangle(_ region: Region, width: Int, height: Int) -> Rectangle {
    func even(_ value: Double, limit: Int) -> Int { min(max(0, Int(value.rounded(.down))) & ~1, limit) }
    let x = even(region.x * Double(width), limit: max(0, width - 2))
    let y = even(region.y * Double(height), limit: max(0, height - 2))
    let right = min(width, max(x + 2, Int((region.x + region.width) * Double(width)) & ~1))
    let bottom = min(height, max(y + 2, Int((region.y + region.height) * Double(height)) & ~1))
    return Rectangle(x: x, y: y, width: max(1, right - x), height: max(1, bottom - y))
  }
}
