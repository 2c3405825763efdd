import Foundation

/// GStreamer's RTSP server (`scripts/rtsp-server`) on a free loopback port,
/// streaming real H.264: a live test pattern by default, or an MP4 file.
public final class RTSPTestServer: @unchecked Sendable {
  public struct Options: Sendable {
    public var fps = 15
    public var width = 320
    public var height = 240
    public var file: String?
    public var user: String?
    public var password: String?
    public init() {}
  }

  public let port: Int
  public let options: Options
  public private(set) var child: ChildProcess?

  public init(port: Int = Network.freePort(), options: Options = Options()) throws {
    self.port = port
    self.options = options
    try start()
  }

  /// `rtsp://127.0.0.1:PORT/camera` (without credentials).
  public var url: String { "rtsp://127.0.0.1:\(port)/camera" }

  /// (Re)starts the server on the same port.
  public func start() throws {
    var arguments = ["--port", String(port), "--fps", String(options.fps)]
    arguments += ["--width", String(options.width), "--height", String(options.height)]
    if let file = options.file { arguments += ["--file", file] }
    if let user = options.user { arguments += ["--user", user, "--password", options.password ?? ""] }
    let child = try ChildProcess(Repository.script("rtsp-server"), arguments)
    try child.waitForOutput("READY")
    self.child = child
  }

  /// Kills the server (a camera that lost power).
  public func kill() { child?.kill() }

  /// SIGSTOP: connections stay open, nothing is sent (a frozen camera).
  public func freeze() { child?.signal(SIGSTOP) }
  public func thaw() { child?.signal(SIGCONT) }

  deinit {
    thaw()
    kill()
  }
}
