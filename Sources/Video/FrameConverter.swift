import CFFmpeg
import Core

/// Decoded picture → model-ready RGB with CLIP's geometry: the shortest side
/// is resized to N (bicubic, swscale), then the centre N×N is cropped, as
/// Hugging Face's CLIPImageProcessor does. The scaler is rebuilt only when the
/// input size or pixel format changes; buffers are reused.
final class FrameConverter {
  let size: Int
  private var scaler: OpaquePointer?
  private var key: (width: Int32, height: Int32, format: Int32) = (0, 0, -1)
  private var scaled: [UInt8] = []
  private var scaledWidth = 0
  private var scaledHeight = 0
  private var scaledStride = 0

  init(size: Int) {
    precondition(size > 0)
    self.size = size
  }

  deinit { sws_freeContext(scaler) }

  /// The resized size for a `width`×`height` input: shortest side N, the
  /// other scaled and floored, as `transformers`' `get_resize_output_image_size`.
  static func resizedSize(width: Int, height: Int, shortest: Int) -> (width: Int, height: Int) {
    if width <= height { return (shortest, max(shortest, shortest * height / width)) }
    return (max(shortest, shortest * width / height), shortest)
  }

  /// The model-ready frame, or nil for a picture outside `Limits.acceptsPicture`
  /// (refused before any buffer is sized for it) or one swscale cannot convert.
  func convert(_ picture: UnsafeMutablePointer<AVFrame>, pts: Double) -> Frame? {
    let width = picture.pointee.width
    let height = picture.pointee.height
    guard Limits.acceptsPicture(width: Int(width), height: Int(height)),
      prepare(width: width, height: height, format: picture.pointee.format)
    else { return nil }
    scaled.withUnsafeMutableBufferPointer { out in
      var destination: UnsafeMutablePointer<UInt8>? = out.baseAddress
      var destinationStride = Int32(scaledStride)
      withUnsafePointer(to: &picture.pointee.data) { planes in
        planes.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { planes in
          withUnsafePointer(to: &picture.pointee.linesize) { strides in
            strides.withMemoryRebound(to: Int32.self, capacity: 8) { strides in
              _ = sws_scale(scaler, planes, strides, 0, height, &destination, &destinationStride)
            }
          }
        }
      }
    }
    return Frame(
      pts: pts, width: size, height: size, pixels: centreCrop(), sourceWidth: Int(width), sourceHeight: Int(height))
  }

  private func centreCrop() -> [UInt8] {
    let top = (scaledHeight - size) / 2
    let left = (scaledWidth - size) / 2
    let rowBytes = size * 3
    var pixels = [UInt8](repeating: 0, count: size * rowBytes)
    pixels.withUnsafeMutableBufferPointer { out in
      scaled.withUnsafeBufferPointer { source in
        for y in 0..<size {
          let from = source.baseAddress! + (top + y) * scaledStride + left * 3
          (out.baseAddress! + y * rowBytes).update(from: from, count: rowBytes)
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
    let resized = Self.resizedSize(width: Int(width), height: Int(height), shortest: size)
    scaledWidth = resized.width
    scaledHeight = resized.height
    scaledStride = (scaledWidth * 3 + 63) & ~63
    scaled = [UInt8](repeating: 0, count: scaledStride * scaledHeight)
    let (pixelFormat, fullRange) = PixelFormats.normalised(AVPixelFormat(format))
    scaler = sws_getContext(
      width, height, pixelFormat, Int32(scaledWidth), Int32(scaledHeight), AV_PIX_FMT_RGB24,
      SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nil, nil, nil)
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
