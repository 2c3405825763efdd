import Foundation
import History
import Synchronization

/// Memory searches for the running daemon (`GET /api/search`), answered on
/// the inference thread between two batches: the engine (its text tower,
/// its scorer cache) is that thread's alone, so a search never runs beside
/// a batch and never needs a second copy of the model. A request wakes an
/// idle worker at once; a busy one serves it after the batch in hand.
final class SearchMailbox: Sendable {
  typealias Answer = Result<(hits: [MemoryHit], searched: Int), MemorySearchError>
  private struct Job: Sendable {
    var request: MemorySearchRequest
    var reply: @Sendable (Answer) -> Void
  }

  private let jobs = Mutex<[Job]>([])
  private let history: HistoryReader
  private let blockSeconds: Double
  private let wake: @Sendable () -> Void

  init(historyDirectory: String, blockSeconds: Double, wake: @escaping @Sendable () -> Void) {
    history = HistoryReader(directory: historyDirectory)
    self.blockSeconds = blockSeconds
    self.wake = wake
  }

  /// Any thread: the answer once the inference worker has run the search.
  func search(_ request: MemorySearchRequest) async -> Answer {
    await withCheckedContinuation { continuation in
      jobs.withLock { $0.append(Job(request: request, reply: { continuation.resume(returning: $0) })) }
      wake()
    }
  }

  /// Inference thread: runs the searches waiting, if any.
  func serve(engine: Engine) {
    let waiting = jobs.withLock { jobs in
      defer { jobs = [] }
      return jobs
    }
    for job in waiting {
      do {
        let result = try MemorySearch(job.request, blockSeconds: blockSeconds).run(
          engine: engine, history: try history.open())
        job.reply(.success(result))
      } catch {
        job.reply(.failure(MemorySearchError(description: "\(error)")))
      }
    }
  }

  /// Answers every waiting search with `reason` (the worker has stopped).
  func refuseAll(_ reason: String) {
    let waiting = jobs.withLock { jobs in
      defer { jobs = [] }
      return jobs
    }
    for job in waiting { job.reply(.failure(MemorySearchError(description: reason))) }
  }
}

/// A search that could not run: one line saying why.
struct MemorySearchError: Error, CustomStringConvertible, Sendable {
  var description: String
}
