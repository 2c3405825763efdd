import Core
import Foundation

/// Drains a `FrameSource` on its own thread (as the daemon's camera reader
/// does) and records each frame with the wall time it arrived, so a test can
/// act on the source (kill its server, freeze it) while frames flow.
public final class FrameCollector: @unchecked Sendable {
  public struct Arrival: Sendable {
    public let frame: Frame
    /// Seconds since the collector started.
    public let wallTime: Double
  }

  public let source: any FrameSource
  private let arrivals = Recorder<Arrival>()
  private let failures = Recorder<String>()
  private let finished = Recorder<Bool>()
  private let start = Date()

  public init(_ source: any FrameSource) {
    self.source = source
    let thread = Thread { [self] in
      do {
        while let frame = try source.nextFrame() {
          arrivals.append(Arrival(frame: frame, wallTime: Date().timeIntervalSince(start)))
        }
      } catch {
        failures.append("\(error)")
      }
      finished.append(true)
    }
    thread.start()
  }

  public var frames: [Arrival] { arrivals.all }
  public var count: Int { arrivals.count }
  public var error: String? { failures.all.first }
  public var isFinished: Bool { finished.count > 0 }
  public var elapsed: Double { Date().timeIntervalSince(start) }

  /// Waits until `count` more frames than now have arrived.
  @discardableResult
  public func waitForFrames(_ count: Int, timeout: Double) -> Bool {
    let target = arrivals.count + count
    return waitUntil(timeout: timeout) { arrivals.count >= target }
  }

  /// Stops the source and waits for the reader thread to end.
  public func stop(timeout: Double = 5) {
    source.stop()
    waitUntil(timeout: timeout) { isFinished }
  }

  deinit { source.stop() }
}
