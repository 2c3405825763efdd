import Foundation
import Synchronization

/// A thread-safe list that callbacks on other threads append to and tests read.
public final class Recorder<Element: Sendable>: Sendable {
  private let items = Mutex<[Element]>([])

  public init() {}

  public func append(_ item: Element) { items.withLock { $0.append(item) } }
  public var all: [Element] { items.withLock { $0 } }
  public var count: Int { items.withLock { $0.count } }
}

/// Polls `condition` every 20 ms until it holds or `timeout` seconds pass;
/// returns whether it held.
@discardableResult
public func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
  let end = Date().addingTimeInterval(timeout)
  while Date() < end {
    if condition() { return true }
    Thread.sleep(forTimeInterval: 0.02)
  }
  return condition()
}
