import Synchronization

/// The event history opened read-only on first use (the daemon's recorder may
/// create it after the API starts) and kept open.
public final class HistoryReader: Sendable {
  public let directory: String
  private let opened = Mutex<EventHistory?>(nil)

  public init(directory: String) { self.directory = directory }

  public func open() throws(HistoryError) -> EventHistory {
    try opened.withLock { (opened: inout EventHistory?) throws(HistoryError) -> EventHistory in
      if let opened { return opened }
      let history = try EventHistory(directory: directory, readOnly: true)
      opened = history
      return history
    }
  }
}
