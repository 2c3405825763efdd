import CFFmpeg
import Synchronization

/// Decides when a blocking FFmpeg call must give up: when the source is
/// stopped, or when its deadline (open timeout, or stall timeout while
/// reading) has passed. FFmpeg polls it through `AVIOInterruptCB` from
/// whichever thread is inside the call, while `stop()` comes from another.
final class InterruptGuard: Sendable {
  private struct State {
    var deadline = Double.infinity
    var cancelled = false
  }
  private let state = Mutex(State())

  /// Interrupt blocking calls `seconds` from now.
  func arm(seconds: Double) {
    let deadline = MonotonicClock.now() + seconds
    state.withLock { $0.deadline = deadline }
  }

  func cancel() { state.withLock { $0.cancelled = true } }

  var isCancelled: Bool { state.withLock { $0.cancelled } }

  /// Whether the deadline has passed (the RTSP demuxer reports an
  /// interrupted read as the end of the stream, not as AVERROR_EXIT).
  var hasExpired: Bool {
    let now = MonotonicClock.now()
    return state.withLock { now > $0.deadline }
  }

  var shouldInterrupt: Bool {
    let now = MonotonicClock.now()
    return state.withLock { $0.cancelled || now > $0.deadline }
  }

  /// The callback record for `AVFormatContext.interrupt_callback`. The guard
  /// must outlive the context it is installed in (the source owns both).
  var callback: AVIOInterruptCB {
    AVIOInterruptCB(callback: interruptCallback, opaque: Unmanaged.passUnretained(self).toOpaque())
  }
}

/// A free, nonisolated function: FFmpeg calls it on its own thread, where a
/// main-actor closure would trap (docs/ARCHITECTURE.md, "Swift 6 and C libraries").
private func interruptCallback(_ opaque: UnsafeMutableRawPointer?) -> Int32 {
  guard let opaque else { return 0 }
  return Unmanaged<InterruptGuard>.fromOpaque(opaque).takeUnretainedValue().shouldInterrupt ? 1 : 0
}
