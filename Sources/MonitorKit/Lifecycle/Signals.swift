import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Process signals through a self-pipe: SIGTERM, SIGINT and SIGHUP get a
/// handler that only writes the signal number to a pipe (async-signal-safe,
/// whichever thread the kernel picks: OpenBLAS starts its threads before
/// `main`, so a blocked mask cannot cover them). A reader thread hands each
/// signal to the installed handler (`monitor run`), or ends the process as
/// the default action would for every other command.
public enum Signals {
  private static let handler = Mutex<(@Sendable (Int32) -> Void)?>(nil)

  /// Call first thing in main.
  public static func listen() {
    // A closed pipe (`--events-file /dev/stdout | head`) is a write error to
    // report, not a reason to die: EPIPE instead of SIGPIPE.
    signal(SIGPIPE, SIG_IGN)
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { return }
    signalPipe = fds[1]
    for signal in [SIGTERM, SIGINT, SIGHUP] {
      var action = sigaction()
      action.__sigaction_handler.sa_handler = writeSignal
      sigemptyset(&action.sa_mask)
      action.sa_flags = SA_RESTART
      sigaction(signal, &action, nil)
    }
    let readEnd = fds[0]
    let thread = Thread {
      var byte: UInt8 = 0
      while read(readEnd, &byte, 1) == 1 {
        let received = Int32(byte)
        if let handle = handler.withLock({ $0 }) {
          handle(received)
        } else {
          exit(128 + received)
        }
      }
    }
    thread.name = "signals"
    thread.start()
  }

  /// Route signals to `handle` from now on.
  public static func install(_ handle: @escaping @Sendable (Int32) -> Void) { handler.withLock { $0 = handle } }
}

/// Write end of the self-pipe; set once before any handler is installed.
nonisolated(unsafe) private var signalPipe: Int32 = -1

/// The signal handler: one write(2), nothing else (async-signal-safe).
private func writeSignal(_ signal: Int32) {
  var byte = UInt8(truncatingIfNeeded: signal)
  _ = write(signalPipe, &byte, 1)
}
