import COpenBLAS
import Dispatch
import Synchronization

/// How many threads one inference call may use. The packed kernels and the
/// attention heads split work over our own threads; OpenBLAS is then held at
/// one thread, because its workers spin after each call and would steal the
/// cores ours need. Where the packed kernels are unavailable OpenBLAS gets
/// the threads instead.
public enum Parallelism {
  private static let count = Atomic<Int>(1)

  public static var threads: Int {
    get { count.load(ordering: .relaxed) }
    set {
      let threads = max(newValue, 1)
      count.store(threads, ordering: .relaxed)
      openblas_set_num_threads(Int32(PackedLinear.packedSupported ? 1 : threads))
    }
  }

  /// Runs `body` over `0..<work` split into up to `threads` contiguous ranges (inline when one).
  public static func split(_ work: Int, _ body: @Sendable (_ range: Range<Int>) -> Void) {
    let parts = min(threads, work)
    if parts <= 1 {
      body(0..<work)
      return
    }
    DispatchQueue.concurrentPerform(iterations: parts) { part in
      body((work * part / parts)..<(work * (part + 1) / parts))
    }
  }
}
