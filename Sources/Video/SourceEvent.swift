/// Something an operator may want in the log, reported by a `VideoSource`
/// on its reader thread. Every description names the source (masked).
public enum SourceEvent: Sendable, Equatable, CustomStringConvertible {
  /// Opened (first time or after a reconnect).
  case connected(source: String, info: StreamInfo)
  /// The connection failed, ended or stalled; the next attempt is in `retryIn` seconds.
  case disconnected(VideoError, retryIn: Double)
  /// A file source reached its end and starts again.
  case looped(source: String)
  /// Damaged packets or frames were skipped; `total` since the source started.
  case damaged(source: String, total: Int)

  public var description: String {
    switch self {
    case .connected(let source, let info):
      let rate = info.frameRate.map { String(format2: $0) + " fps" } ?? "unknown fps"
      return "\(source): connected, \(info.codec) \(info.width)x\(info.height) \(rate)"
    case .disconnected(let error, let retryIn):
      return "\(error.description); retrying in \(String(format2: retryIn)) s"
    case .looped(let source): return "\(source): end of file, looping"
    case .damaged(let source, let total): return "\(source): skipped damaged data (\(total) packets or frames so far)"
    }
  }
}

extension String {
  /// Two decimals without Foundation.
  init(format2 value: Double) {
    let hundredths = Int((value * 100).rounded())
    let fraction = abs(hundredths % 100)
    self = "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
  }
}
