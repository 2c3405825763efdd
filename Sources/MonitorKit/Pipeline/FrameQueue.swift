import Core
import Foundation

/// The bounded queue between camera readers and the inference worker. Real
/// time beats completeness: when it is full the oldest frame is dropped and
/// counted against its camera, so a slow model never builds a backlog and
/// never blocks a decoder.
public final class FrameQueue: @unchecked Sendable {
  public struct Item: Sendable {
    public var camera: CameraID
    public var frame: Frame
    /// The views (whole frame, regions) the motion gates found unchanged:
    /// the worker steps their temporal models and rules with their last
    /// embeddings instead of embedding them again.
    public var still: Set<CameraView>

    public init(camera: CameraID, frame: Frame, still: Set<CameraView> = []) {
      self.camera = camera
      self.frame = frame
      self.still = still
    }
  }

  private let condition = NSCondition()
  private var items: [Item] = []
  private var closed = false
  /// Set by `wake`: the next wait returns an empty batch at once.
  private var woken = false
  public let capacity: Int
  private var drops: [CameraID: Int] = [:]

  public init(capacity: Int) {
    precondition(capacity > 0)
    self.capacity = capacity
  }

  /// Adds a frame, dropping the oldest if full. Never blocks for long.
  public func push(_ item: Item) {
    condition.lock()
    defer { condition.unlock() }
    guard !closed else { return }
    if items.count >= capacity {
      let dropped = items.removeFirst()
      drops[dropped.camera, default: 0] += 1
    }
    items.append(item)
    condition.signal()
  }

  /// Up to `maximum` frames, at most one per camera (the batch crosses
  /// cameras); waits until there is one, or `timeout` seconds (returning an
  /// empty batch, so the worker can prove it is alive), or the queue is
  /// closed and empty (nil).
  public func popBatch(maximum: Int, timeout: Double = 1) -> [Item]? {
    condition.lock()
    defer { condition.unlock() }
    let deadline = Date().addingTimeInterval(timeout)
    while items.isEmpty && !closed {
      if woken || !condition.wait(until: deadline) {
        woken = false
        return []
      }
    }
    if items.isEmpty { return nil }
    var batch: [Item] = []
    var index = 0
    while index < items.count && batch.count < maximum {
      if batch.contains(where: { $0.camera == items[index].camera }) {
        index += 1
      } else {
        batch.append(items.remove(at: index))
      }
    }
    return batch
  }

  /// Ends a wait for frames now (an empty batch): the worker has other work (a search).
  func wake() {
    condition.lock()
    woken = true
    condition.signal()
    condition.unlock()
  }

  /// No more frames will come; frames still queued are discarded, so that
  /// no episode opens once stopping began (the worker then ends the open ones).
  public func close() {
    condition.lock()
    closed = true
    items.removeAll()
    condition.broadcast()
    condition.unlock()
  }

  public func dropped(camera: CameraID) -> Int {
    condition.lock()
    defer { condition.unlock() }
    return drops[camera, default: 0]
  }
}
