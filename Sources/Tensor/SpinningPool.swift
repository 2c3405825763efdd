import CKernels
import Dispatch
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Fork-join over a few long-lived threads that spin for a moment after each
/// job before they sleep.
///
/// Why our own and not `DispatchQueue.concurrentPerform`: libdispatch parks
/// its workers as soon as a call ends, and waking a parked worker on an idle
/// virtual CPU took about 50 µs per call on our 2-core VMs (against 2–4 µs
/// for a worker that spins), while one ViT-B/32 image forks 72 times (four
/// GEMMs, attention and the activation per layer): 5–6 % of an fp32 image
/// and about a fifth of an int8 one at two threads. The gaps between one
/// forward pass's forks are tens of microseconds, so a worker that spins
/// `spinNanoseconds` after its job catches the next fork awake; between
/// frames it sleeps on a semaphore, so an idle daemon costs no CPU. ONNX
/// Runtime's and OpenMP's thread pools spin the same way.
final class SpinningPool: @unchecked Sendable {
  /// The thread-specific flag behind `insidePart`.
  private static let partKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
  }()

  /// How long a worker (and a caller waiting for its workers) spins before it
  /// sleeps (yields): longer than the gaps inside one forward pass, short
  /// against the time between frames.
  static let spinNanoseconds: UInt64 = 250_000

  /// One worker: its own mailbox, so a fork touches only the workers it uses.
  private final class Worker: @unchecked Sendable {
    let posted = Atomic<Int>(0)  // jobs handed to this worker
    let finished = Atomic<Int>(0)  // jobs it has completed
    let sleeping = Atomic<Bool>(false)
    let wake = DispatchSemaphore(value: 0)
    // Written by the caller before `posted` is raised, read by the worker after
    // it sees the raise; the caller waits for `finished` before it writes again.
    var job: ((Int) -> Void)?
    var part = 0
    /// Set once, before the first job.
    var thread = pthread_t()

    func loop() {
      SpinningPool.insidePart = true
      var seen = 0
      while true {
        seen = waitForJob(after: seen)
        runJob()
        finished.store(seen, ordering: .releasing)
      }
    }

    /// Not inlined, so the closure's retain and release end before `finished` is raised
    /// (`withoutActuallyEscaping` traps if the caller's closure is still held when it returns).
    @inline(never) private func runJob() { job!(part) }

    /// Spins until `posted` moves past `seen`, then sleeps until the caller wakes it.
    private func waitForJob(after seen: Int) -> Int {
      var deadline = DispatchTime.now().uptimeNanoseconds + SpinningPool.spinNanoseconds
      var spins = 0
      while true {
        let next = posted.load(ordering: .acquiring)
        if next != seen { return next }
        ckernels_pause()
        spins += 1
        guard spins % 256 == 0, DispatchTime.now().uptimeNanoseconds > deadline else { continue }
        // Announce sleep, then look again: a caller that raised `posted`
        // before seeing `sleeping` has not signalled and will not.
        sleeping.store(true, ordering: .sequentiallyConsistent)
        if posted.load(ordering: .sequentiallyConsistent) != seen {
          // Either we take the announcement back, or the caller already did
          // and signalled: consume that signal.
          if !sleeping.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent).exchanged {
            wake.wait()
          }
        } else {
          wake.wait()
        }
        deadline = DispatchTime.now().uptimeNanoseconds + SpinningPool.spinNanoseconds
      }
    }
  }

  private let busy = Atomic<Bool>(false)
  private var workers: [Worker] = []  // grown only by the caller holding `busy`

  static let shared = SpinningPool()

  /// What `run` did.
  enum Outcome {
    /// Every part ran, on the pool.
    case ran
    /// Nothing ran: the call came from inside a part (a fork inside a fork);
    /// every thread is already busy, so the caller runs the parts itself, in turn.
    case nested
    /// Nothing ran: another thread holds the pool, or a thread could not be
    /// started; the caller uses libdispatch.
    case unavailable
  }

  /// Runs `body(0..<parts)` at once, part 0 on the calling thread.
  func run(parts: Int, _ body: (Int) -> Void) -> Outcome {
    if Self.insidePart { return .nested }
    guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
      return .unavailable
    }
    defer { busy.store(false, ordering: .releasing) }
    guard grow(to: parts - 1) else { return .unavailable }
    withoutActuallyEscaping(body) { body in
      let used = workers.prefix(parts - 1)
      for (index, worker) in used.enumerated() {
        worker.job = body
        worker.part = index + 1
        worker.posted.wrappingAdd(1, ordering: .sequentiallyConsistent)
        let asleep = worker.sleeping.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent)
        if asleep.exchanged { worker.wake.signal() }
      }
      Self.insidePart = true
      body(0)
      Self.insidePart = false
      for worker in used {
        waitUntilFinished(worker)
        worker.job = nil
      }
    }
    return .ran
  }

  /// CPU seconds each worker has used so far (tests: a worker between
  /// batches must sleep, not spin). Call while no fork runs.
  func workerCPUSeconds() -> [Double] {
    workers.map { worker in
      var clock = clockid_t()
      var time = timespec()
      guard pthread_getcpuclockid(worker.thread, &clock) == 0, clock_gettime(clock, &time) == 0 else { return .nan }
      return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
  }

  /// Whether this thread is running a part (a worker always is, while it runs).
  private static var insidePart: Bool {
    get { pthread_getspecific(partKey) != nil }
    set { pthread_setspecific(partKey, newValue ? UnsafeRawPointer(bitPattern: 1) : nil) }
  }

  /// Spins while the worker's part is expected to end about when ours did,
  /// then yields the core (a decoder may need it more than we do).
  private func waitUntilFinished(_ worker: Worker) {
    let target = worker.posted.load(ordering: .relaxed)
    let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
    var spins = 0
    while worker.finished.load(ordering: .acquiring) != target {
      spins += 1
      if spins % 256 == 0 && DispatchTime.now().uptimeNanoseconds > deadline {
        sched_yield()
      } else {
        ckernels_pause()
      }
    }
  }

  private func grow(to count: Int) -> Bool {
    while workers.count < count {
      let worker = Worker()
      var thread = pthread_t()
      let context = Unmanaged.passRetained(worker).toOpaque()
      let started = pthread_create(
        &thread, nil,
        { context in
          Unmanaged<Worker>.fromOpaque(context!).takeRetainedValue().loop()
          return nil
        }, context)
      guard started == 0 else {
        Unmanaged<Worker>.fromOpaque(context).release()
        return false
      }
      pthread_detach(thread)
      worker.thread = thread
      workers.append(worker)
    }
    return true
  }
}
