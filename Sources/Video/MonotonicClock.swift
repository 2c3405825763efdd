#if canImport(Glibc)
  import Glibc
#endif

/// Seconds on CLOCK_MONOTONIC: immune to wall-clock jumps (NTP, DST), which
/// matters for stall deadlines and backoff on a box that runs for months.
enum MonotonicClock {
  static func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
  }

  /// Sleeps in short slices so `stop()` is honoured within ~50 ms.
  static func sleep(seconds: Double, unless cancelled: () -> Bool) {
    let end = now() + seconds
    while !cancelled() {
      let left = end - now()
      if left <= 0 { return }
      usleep(useconds_t(min(left, 0.05) * 1_000_000))
    }
  }
}
