import Core
import TOML

extension Configuration {
  /// `[http]`: the HTTP API (health, Prometheus metrics, the event history).
  /// Off by default; on loopback unless `listen` says otherwise, and then only
  /// with a bearer token (the daemon refuses to serve without one).
  public struct HTTP: Sendable, Equatable {
    public var enabled = false
    /// Address to bind: an IPv4 address, a host name, or an IPv6 address in brackets.
    public var host = "127.0.0.1"
    public var port = 8090
    /// File holding the bearer token; nil: `api-token` under `$CREDENTIALS_DIRECTORY` when systemd passes one.
    public var tokenFile: String?

    public static let keys = ["enabled", "listen", "token_file"]

    public init() {}

    /// `host:port` as `listen` takes it.
    public var listen: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Whether only this machine can connect (no token needed).
    public var isLoopback: Bool {
      host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    init(_ table: TOMLTable, file: String) throws(ConfigError) {
      try table.requireKnownKeys(Self.keys, file: file)
      enabled = try table.boolean("enabled", file: file) ?? enabled
      tokenFile = try table.string("token_file", file: file).flatMap { $0.isEmpty ? nil : $0 }
      if let listen = try table.string("listen", file: file) {
        guard let (host, port) = Self.parse(listen: listen) else {
          throw ConfigError(
            file: file, line: table["listen"]!.line,
            "http listen '\(listen)' is not host:port (127.0.0.1:8090, 0.0.0.0:8090 or [::1]:8090; port 1–65535)")
        }
        self.host = host
        self.port = port
      }
    }

    /// `127.0.0.1:8090`, `localhost:8090`, `[::1]:8090` → host and port; nil when malformed.
    static func parse(listen: String) -> (host: String, port: Int)? {
      let host: Substring
      let portText: Substring
      if listen.hasPrefix("[") {
        guard let close = listen.firstIndex(of: "]"), listen[close...].hasPrefix("]:") else { return nil }
        host = listen[listen.index(after: listen.startIndex)..<close]
        portText = listen[listen.index(close, offsetBy: 2)...]
        guard host.contains(":"), host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
      } else {
        guard let colon = listen.lastIndex(of: ":") else { return nil }
        host = listen[..<colon]
        portText = listen[listen.index(after: colon)...]
        let allowed = host.unicodeScalars.allSatisfy {
          ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-"
        }
        guard allowed else { return nil }
      }
      guard !host.isEmpty, host.count <= 253, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
        let port = Int(portText), (1...65535).contains(port)
      else { return nil }
      return (String(host), port)
    }
  }
}
