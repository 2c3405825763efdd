import Core
import Foundation
import Rules
import Synchronization

/// Notices added, edited and removed rule files within a second while the
/// daemon runs (polling every 250 ms: works on every file system, including
/// bind mounts and network shares where inotify does not), and on demand
/// (SIGHUP calls `reloadNow`). Calls `onChange` with the new rules and the
/// problems of broken files, on its own thread.
public final class RuleWatcher: Sendable {
  public let store: RuleStore
  private let onChange: @Sendable (RuleStore.Contents) -> Void
  private let state = Mutex<(fingerprint: [String], stopped: Bool, forced: Bool)>(([], false, false))
  private let interval: Double

  public init(store: RuleStore, interval: Double = 0.25, onChange: @escaping @Sendable (RuleStore.Contents) -> Void) {
    self.store = store
    self.onChange = onChange
    self.interval = interval
  }

  /// Loads once now (returning the contents) and starts watching.
  @discardableResult
  public func start() -> RuleStore.Contents {
    let contents = store.load()
    let fingerprint = store.fingerprint()
    state.withLock { $0.fingerprint = fingerprint }
    let thread = Thread { [self] in run() }
    thread.name = "rule-watcher"
    thread.start()
    return contents
  }

  public func stop() { state.withLock { $0.stopped = true } }

  /// Reload at the next poll even if nothing seems changed (SIGHUP).
  public func reloadNow() { state.withLock { $0.forced = true } }

  private func run() {
    while true {
      Thread.sleep(forTimeInterval: interval)
      let fingerprint = store.fingerprint()
      let (stopped, changed) = state.withLock { state -> (Bool, Bool) in
        let changed = state.forced || state.fingerprint != fingerprint
        state.fingerprint = fingerprint
        state.forced = false
        return (state.stopped, changed)
      }
      if stopped { return }
      if changed { onChange(store.load()) }
    }
  }
}
