import Core
import Foundation
import History

/// One camera's long-term memory on the inference thread: per view in use
/// (the whole frame, each region a rule watches) a `BlockedMemory` of its
/// plain CLIP frame embeddings, in wall-clock blocks. Constant memory: per
/// view, one block of at most `entries_per_block + 1` entries, each holding
/// its embedding and the model picture it shows (what CLIP saw). Blocks leave
/// as `MemoryBlock`s for the delivery thread to encode and store.
final class CameraMemory {
  private let camera: String
  private let settings: MemoryBlockSettings
  private let wallClock: @Sendable () -> Double
  private var views: [CameraView: BlockedMemory<Picture>] = [:]
  /// Closed blocks not yet taken.
  private var closed: [MemoryBlock] = []

  init(camera: String, settings: MemoryBlockSettings, wallClock: @escaping @Sendable () -> Double) {
    self.camera = camera
    self.settings = settings
    self.wallClock = wallClock
  }

  /// Adds the frame's embeddings, each view's with the picture it embedded
  /// (a still view's reused embedding comes with the frame's picture of it).
  func add(_ embeddings: [CameraView: [Float]], frame: Frame) {
    let time = wallClock()
    for (view, embedding) in embeddings {
      guard let picture = frame.picture(view) else { continue }
      // In place (no copy of the bank per frame).
      let fresh = BlockedMemory<Picture>(blockSeconds: settings.blockSeconds, capacity: settings.entriesPerBlock)
      if let block = views[view, default: fresh].add(embedding, time: time, keepsake: picture) {
        closed.append(.init(camera, view, block))
      }
    }
    // A region out of use is stored as far as it went, then forgotten.
    for (view, memory) in views where embeddings[view] == nil {
      if let block = memory.current { closed.append(.init(camera, view, block)) }
      views[view] = nil
    }
  }

  /// Blocks closed since the last call, and (`includingOpen`) a copy of each
  /// view's block in progress, so that search sees the last minutes too.
  func take(includingOpen: Bool) -> [MemoryBlock] {
    defer { closed = [] }
    guard includingOpen else { return closed }
    return closed
      + views.sorted { ($0.key.regionName ?? "") < ($1.key.regionName ?? "") }.compactMap { view, memory in
        memory.current.map { MemoryBlock(camera, view, $0) }
      }
  }
}

/// `[memory]`'s block shape, as the pipeline uses it.
public struct MemoryBlockSettings: Sendable {
  public var blockSeconds: Double
  public var entriesPerBlock: Int

  public init(blockSeconds: Double, entriesPerBlock: Int) {
    (self.blockSeconds, self.entriesPerBlock) = (blockSeconds, entriesPerBlock)
  }
}

/// One block of one camera view's memory, on its way to the database.
struct MemoryBlock: Sendable {
  var camera: String
  var view: CameraView
  var block: BlockedMemory<Picture>.Block

  init(_ camera: String, _ view: CameraView, _ block: BlockedMemory<Picture>.Block) {
    (self.camera, self.view, self.block) = (camera, view, block)
  }
}
