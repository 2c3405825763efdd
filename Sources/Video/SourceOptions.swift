import Core

/// How an RTSP session carries its media.
public enum RTSPTransport: String, Sendable, CaseIterable {
  /// Interleaved in the RTSP TCP connection: survives NAT and loss (default).
  case tcp
  /// Separate UDP ports: lower latency on a clean LAN, drops on a lossy one.
  case udp
}

/// Everything a `VideoSource` needs besides its URL. Defaults suit a camera
/// feeding a CLIP ViT at 2 fps.
public struct SourceOptions: Sendable {
  /// The model's picture geometry: frames come out N×N RGB (default CLIP's at 224).
  public var geometry: PictureGeometry = .clip(224)
  /// Also keep the camera's view with each frame, rendered with this geometry
  /// only when asked (`Frame.snapshot`: what alert snapshots show); nil: none.
  public var snapshot: PictureGeometry?
  /// Regions that may be cut from each decoded picture for the model, by
  /// name (`Frame.regions`); only those `VideoSource.cutRegions` names are cut.
  public var regions: [String: PictureGeometry] = [:]
  /// Frames per second to deliver, picked by PTS; `nil` delivers every decoded frame.
  public var sampleRate: Double? = 2
  public var rtspTransport: RTSPTransport = .tcp
  /// Seconds allowed to connect and read the stream header.
  public var openTimeout: Double = 10
  /// Seconds without a decoded frame after which a connected source counts as down.
  public var stallTimeout: Double = 10
  /// Threads libavcodec may use to decode this source (0 = one per core).
  public var decoderThreads: Int = 1
  /// Files only: start again at the end instead of finishing (demo, soak tests).
  public var loop: Bool = false
  /// Files only: deliver frames at the pace of their timestamps, as a camera
  /// would (the daemon treats a file camera as live); off for replay and tests.
  public var realtime: Bool = false
  /// Keeps the stream's compressed packets for clips around episodes; nil: no clips.
  public var clips: ClipRecorder?
  /// Reconnect timing for live sources.
  public var backoff: ReconnectBackoff.Policy = .init()

  public init() {}
}
