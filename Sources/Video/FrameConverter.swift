import CFFmpeg
import Core

/// Decoded picture → RGB24 with a `PictureGeometry`: the model's (CLIP's
/// shortest side to N then the centre N×N, as Hugging Face's
/// CLIPImageProcessor; SigLIP's squash; a region of the picture) or a
/// snapshot's (long side fitted, aspect kept). The geometry decides the
/// arithmetic; this type only runs swscale. The scaler is rebuilt only when
/// the input size or pixel format changes; buffers are reused.
final class FrameConverter {
  let geometry: PictureGeometry
  private var scaler: OpaquePointer?
  private var key: (width: Int32, height: Int32, format: Int32) = (0, 0, -1)
  private var plan: PictureGeometry.Plan?
  /// Per plane, where a region's corner is: rows down and bytes across (empty without a region).
  private var corners: [(rows: Int, bytes: Int)] = []
  private var scaled: [UInt8] = []
  private var scaledStride = 0

  init(geometry: PictureGeometry) { self.geometry = geometry }

  deinit { sws_freeContext(scaler) }

  /// The converted picture, or nil for a picture outside `Limits.acceptsPicture`
  /// (refused before any buffer is sized for it) or one swscale cannot convert.
  func convert(_ picture: UnsafeMutablePointer<AVFrame>) -> Picture? {
    let width = picture.pointee.width
    let height = picture.pointee.height
    let format = picture.pointee.format
    guard Limits.acceptsPicture(width: Int(width), height: Int(height)),
      prepare(width: width, height: height, format: format), let plan
    else { return nil }
    scaled.withUnsafeMutableBufferPointer { out in
      var destination: UnsafeMutablePointer<UInt8>? = out.baseAddress
      var destinationStride = Int32(scaledStride)
      withUnsafePointer(to: &picture.pointee.data) { planes in
        planes.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { planes in
          withUnsafePointer(to: &picture.pointee.linesize) { strides in
            strides.withMemoryRebound(to: Int32.self, capacity: 8) { strides in
              var sources = (0..<4).map { planes[$0] }
              // A region starts each plane at its corner (computed once per input size).
              for (index, corner) in corners.enumerated() where sources[index] != nil {
                sources[index] = sources[index]! + corner.rows * Int(strides[index]) + corner.bytes
              }
              _ = sws_scale(scaler, sources, strides, 0, Int32(plan.source.height), &destination, &destinationStride)
            }
          }
        }
      }
    }
    return Picture(width: plan.output.width, height: plan.output.height, pixels: crop(plan.output))
  }

  /// Each plane's offset to a region's corner: chroma planes at the
  /// subsampled corner; 1 byte per pixel for planar YUV (what cameras and
  /// codecs give), the packed pixel's size otherwise.
  private static func corners(of source: PictureGeometry.Rectangle, format: Int32) -> [(rows: Int, bytes: Int)] {
    guard source.x != 0 || source.y != 0, let descriptor = av_pix_fmt_desc_get(AVPixelFormat(format)) else { return [] }
    let planar = descriptor.pointee.flags & UInt64(AV_PIX_FMT_FLAG_PLANAR) != 0
    let pixelBytes = planar ? 1 : max(1, Int(av_get_bits_per_pixel(descriptor)) / 8)
    let (shiftX, shiftY) = (Int(descriptor.pointee.log2_chroma_w), Int(descriptor.pointee.log2_chroma_h))
    return (0..<4).map { plane in
      let chroma = plane == 1 || plane == 2
      return (
        rows: chroma ? source.y >> shiftY : source.y, bytes: (chroma ? source.x >> shiftX : source.x) * pixelBytes
      )
    }
  }

  /// `rectangle` of the scaled picture; where it reaches past the scaled
  /// picture (`padToSquare`), the geometry's pad colour.
  private func crop(_ rectangle: PictureGeometry.Rectangle) -> [UInt8] {
    let rowBytes = rectangle.width * 3
    var pixels = [UInt8](repeating: 0, count: rectangle.height * rowBytes)
    guard let plan else { return pixels }
    if rectangle.x < 0 || rectangle.y < 0 {
      let pad = geometry.pad
      for i in stride(from: 0, to: pixels.count, by: 3) {
        (pixels[i], pixels[i + 1], pixels[i + 2]) = (pad[0], pad[1], pad[2])
      }
    }
    // The part of `rectangle` the scaled picture covers, in both pictures' coordinates.
    let left = max(0, -rectangle.x)
    let top = max(0, -rectangle.y)
    let width = min(rectangle.width - left, plan.scaledWidth - max(0, rectangle.x))
    let height = min(rectangle.height - top, plan.scaledHeight - max(0, rectangle.y))
    guard width > 0, height > 0 else { return pixels }
    pixels.withUnsafeMutableBufferPointer { out in
      scaled.withUnsafeBufferPointer { source in
        for y in 0..<height {
          let from = source.baseAddress! + (max(0, rectangle.y) + y) * scaledStride + max(0, rectangle.x) * 3
          (out.baseAddress! + (top + y) * rowBytes + left * 3).update(from: from, count: width * 3)
        }
      }
    }
    return pixels
  }

  /// Sizes the buffer and scaler for this input; false when swscale refuses it.
  /// Callers check `Limits.acceptsPicture` first, so every size fits Int32.
  private func prepare(width: Int32, height: Int32, format: Int32) -> Bool {
    if scaler != nil && key == (width, height, format) { return true }
    sws_freeContext(scaler)
    let plan = geometry.plan(width: Int(width), height: Int(height))
    self.plan = plan
    corners = Self.corners(of: plan.source, format: format)
    scaledStride = (plan.scaledWidth * 3 + 63) & ~63
    scaled = [UInt8](repeating: 0, count: scaledStride * plan.scaledHeight)
    let (pixelFormat, fullRange) = PixelFormats.normalised(AVPixelFormat(format))
    let filter = geometry.filter == .bicubic ? SWS_BICUBIC : SWS_BILINEAR
    scaler = sws_getContext(
      Int32(plan.source.width), Int32(plan.source.height), pixelFormat, Int32(plan.scaledWidth),
      Int32(plan.scaledHeight), AV_PIX_FMT_RGB24, filter | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nil, nil, nil)
    guard scaler != nil else {
      key = (0, 0, -1)
      return false
    }
    PixelFormats.setRange(scaler, sourceFullRange: fullRange, destinationFullRange: true)
    key = (width, height, format)
    return true
  }
}

/// swscale treats the deprecated "J" (full-range JPEG) YUV formats specially;
/// mapping them to the plain formats plus an explicit range avoids its warning
/// and gets the colours right for MJPEG cameras.
enum PixelFormats {
  static func normalised(_ format: AVPixelFormat) -> (AVPixelFormat, fullRange: Bool) {
    switch format {
    case AV_PIX_FMT_YUVJ420P: return (AV_PIX_FMT_YUV420P, true)
    case AV_PIX_FMT_YUVJ422P: return (AV_PIX_FMT_YUV422P, true)
    case AV_PIX_FMT_YUVJ444P: return (AV_PIX_FMT_YUV444P, true)
    case AV_PIX_FMT_YUVJ440P: return (AV_PIX_FMT_YUV440P, true)
    default: return (format, false)
    }
  }

  static func setRange(_ scaler: OpaquePointer?, sourceFullRange: Bool, destinationFullRange: Bool) {
    let coefficients = sws_getCoefficients(SWS_CS_DEFAULT)
    _ = sws_setColorspaceDetails(
      scaler, coefficients, sourceFullRange ? 1 : 0, coefficients, destinationFullRange ? 1 : 0, 0, 1 << 16, 1 << 16)
  }
}
