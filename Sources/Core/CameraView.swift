/// What one picture of a camera shows, and so what one temporal state and
/// one rule score follow: the whole frame, or one of the camera's configured
/// regions (`[[cameras.regions]]`), cut from the decoded picture at full
/// resolution and embedded as a picture of its own.
public enum CameraView: Hashable, Sendable, CustomStringConvertible {
  case whole
  case region(String)

  /// The region's name; nil for the whole frame.
  public var regionName: String? {
    if case .region(let name) = self { return name }
    return nil
  }

  public var description: String { regionName.map { "region '\($0)'" } ?? "whole frame" }
}
