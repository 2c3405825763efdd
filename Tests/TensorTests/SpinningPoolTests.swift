import Dispatch
import Synchronization
import Testing

@testable import Tensor

#if canImport(Glibc)
  import Glibc
#endif

/// The fork-join pool under the kernels: every part runs exactly once per
/// fork, parts run at the same time, a worker that fell asleep wakes for the
/// next fork, a fork inside a fork runs in turn on its part's thread (instead
/// of waiting for itself), and a second caller is turned away.
@Suite struct SpinningPoolTests {
  @Test(arguments: [2, 3, 5])
  func everyPartRunsOncePerFork(parts: Int) {
    let pool = SpinningPool()
    let counts = Mutex([Int](repeating: 0, count: parts))
    for fork in 1...300 {
      // Every tenth fork waits past the spin budget first, so the workers are asleep.
      if fork % 10 == 0 { usleep(UInt32(SpinningPool.spinNanoseconds / 1000) * 3) }
      #expect(pool.run(parts: parts) { part in counts.withLock { $0[part] += 1 } } == .ran)
      let seen = counts.withLock { $0 }
      guard seen == [Int](repeating: fork, count: parts) else {
        Issue.record("after fork \(fork): \(seen)")
        return
      }
    }
  }

  @Test func idleWorkersSleep() {
    // After the spin budget a worker must cost no CPU until the next fork (a
    // daemon between frames); one that kept spinning would use all 200 ms.
    let pool = SpinningPool()
    #expect(pool.run(parts: 3) { _ in } == .ran)
    usleep(20_000)
    let before = pool.workerCPUSeconds()
    usleep(200_000)
    let after = pool.workerCPUSeconds()
    #expect(before.count == 2)
    for (start, end) in zip(before, after) { #expect(end - start < 0.02, "a worker used \(end - start) s idle") }
  }

  @Test func partsRunAtTheSameTime() {
    // Each part waits (bounded) for the other to arrive: run one after the other, neither sees it.
    let pool = SpinningPool()
    let arrived = Atomic<Int>(0)
    let sawBoth = Mutex([false, false])
    #expect(
      pool.run(parts: 2) { part in
        arrived.add(1, ordering: .sequentiallyConsistent)
        var waited = 0
        while arrived.load(ordering: .sequentiallyConsistent) < 2 && waited < 5_000 {
          usleep(1000)
          waited += 1
        }
        let both = arrived.load(ordering: .sequentiallyConsistent) == 2
        sawBoth.withLock { $0[part] = both }
      } == .ran)
    #expect(sawBoth.withLock { $0 } == [true, true])
  }

  @Test func aForkInsideAForkRunsItsPartsInTurn() {
    let pool = SpinningPool()
    let outcomes = Mutex<[SpinningPool.Outcome]>([])
    #expect(
      pool.run(parts: 2) { _ in
        let outcome = pool.run(parts: 2) { _ in }
        outcomes.withLock { $0.append(outcome) }
      } == .ran)
    #expect(outcomes.withLock { $0 } == [.nested, .nested])

    // Through Parallelism (the shared pool): the inner forks run every part, each on its outer part's thread.
    let inner = Mutex<[Int: [pthread_t]]>([:])
    let outer = Mutex<[Int: pthread_t]>([:])
    Parallelism.forEachPart(2) { part in
      outer.withLock { $0[part] = pthread_self() }
      Parallelism.forEachPart(3) { innerPart in inner.withLock { $0[part, default: []].append(pthread_self()) } }
    }
    for part in 0..<2 {
      let threads = inner.withLock { $0[part] ?? [] }
      #expect(threads.count == 3)
      #expect(threads.allSatisfy { pthread_equal($0, outer.withLock { $0[part]! }) != 0 })
    }
  }

  @Test func aSecondCallerIsTurnedAway() {
    let pool = SpinningPool()
    let entered = Atomic<Bool>(false)
    let release = Atomic<Bool>(false)
    let second = Mutex<SpinningPool.Outcome?>(nil)
    DispatchQueue.global().async {
      while !entered.load(ordering: .acquiring) { usleep(100) }
      second.withLock { $0 = pool.run(parts: 2) { _ in } }
      release.store(true, ordering: .releasing)
    }
    _ = pool.run(parts: 2) { part in
      guard part == 0 else { return }
      entered.store(true, ordering: .releasing)
      var waited = 0
      while !release.load(ordering: .acquiring) && waited < 5_000 {
        usleep(1000)
        waited += 1
      }
    }
    #expect(second.withLock { $0 } == .unavailable)
  }
}
