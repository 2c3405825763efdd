import Foundation

/// A real mosquitto broker on a free loopback port (mosquitto 2.0 with no
/// config listens on localhost only), and `mosquitto_sub` subscribers.
public final class MosquittoBroker: @unchecked Sendable {
  public let port: Int
  public private(set) var child: ChildProcess?
  /// With persistence, subscriptions of non-clean sessions and the messages
  /// queued for them survive a broker restart (`terminate`), so a test
  /// subscriber misses nothing however the restart and the publisher's
  /// reconnect interleave.
  private let configFile: String?

  /// A broker with a custom configuration; `configuration(port)` returns the file's text.
  public init(configuration: (Int) -> String) throws {
    port = Network.freePort()
    let directory = try Repository.temporaryDirectory("mosquitto")
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
    let config = directory.appendingPathComponent("mosquitto.conf").path
    try configuration(port).write(toFile: config, atomically: true, encoding: .utf8)
    configFile = config
    try start()
  }

  public init(port: Int = Network.freePort(), persistent: Bool = false) throws {
    self.port = port
    if persistent {
      let directory = try Repository.temporaryDirectory("mosquitto")
      // Started as root, mosquitto drops to the `mosquitto` user, which must be able to save here.
      try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.path)
      let config = directory.appendingPathComponent("mosquitto.conf").path
      try """
      listener \(port) 127.0.0.1
      allow_anonymous true
      persistence true
      persistence_location \(directory.path)/
      autosave_interval 1
      autosave_on_changes true

      """.write(toFile: config, atomically: true, encoding: .utf8)
      configFile = config
    } else {
      configFile = nil
    }
    try start()
  }

  public func start() throws {
    let arguments = configFile.map { ["-c", $0, "-v"] } ?? ["-p", String(port), "-v"]
    let child = try ChildProcess("/usr/sbin/mosquitto", arguments)
    try child.waitForOutput("running")
    self.child = child
  }

  public func kill() { child?.kill() }

  /// SIGTERM and wait: the broker writes its persistence file on the way out.
  public func terminate() {
    guard let child, child.isRunning else { return }
    child.signal(SIGTERM)
    child.process.waitUntilExit()
  }

  deinit { kill() }

  /// `mosquitto_pub`: one message, as any client on the broker (Home Assistant) sends it.
  public func publish(_ topic: String, _ payload: String, retain: Bool = false) throws {
    _ = try ChildProcess.run(
      "/usr/bin/mosquitto_pub",
      ["-h", "127.0.0.1", "-p", String(port), "-q", "1", "-t", topic, "-m", payload] + (retain ? ["-r"] : []))
  }

  /// `mosquitto_sub -v` on `topics`, printing `topic payload` lines.
  public func subscribe(_ topics: [String], extra: [String] = []) throws -> ChildProcess {
    // stdbuf: mosquitto_sub block-buffers stdout when it is a file.
    let child = try ChildProcess(
      "/usr/bin/stdbuf",
      ["-oL", "/usr/bin/mosquitto_sub", "-h", "127.0.0.1", "-p", String(port), "-v", "-q", "1", "-d"]
        + topics.flatMap { ["-t", $0] } + extra)
    try child.waitForOutput("CONNACK")
    return child
  }
}
