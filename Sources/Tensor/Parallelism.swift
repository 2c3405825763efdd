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
    forEachPart(parts) { part in body((work * part / parts)..<(work * (part + 1) / parts)) }
  }

  /// Runs `body(part)` for every part in `0..<parts`: at once on the spinning
  /// pool (see `SpinningPool`); in turn on this thread when called from inside
  /// a part (the threads are all busy already); on libdispatch when another
  /// thread holds the pool.
  public static func forEachPart(_ parts: Int, _ body: @Sendable (_ part: Int) -> Void) {
    switch parts <= 1 ? .nested : SpinningPool.shared.run(parts: parts, body) {
    case .ran: return
    case .nested: for part in 0..<parts { body(part) }
    case .unavailable: DispatchQueue.concurrentPerform(iterations: parts, execute: body)
    }
  }
}
