import Core
import Foundation
import Synchronization
import Video

/// Pairs each episode's clip (finished on the camera's reader thread, once
/// the stream has passed the post-roll) with the episode's `end` (from the
/// inference thread), in whichever order they come: when both are in, the
/// `update` that carries the clip follows the `end` (returned to the
/// inference thread when the clip came first, delivered from the reader
/// thread when it comes last). Bounded: a clip that is
/// never written (a full disk, a raw camera) leaves an `end` behind, and the
/// oldest such are forgotten.
final class EpisodeClips: @unchecked Sendable {
  private struct Waiting {
    var ends: [String: AlertEvent] = [:]
    var clips: [String: ClipRecorder.Clip] = [:]
    var order: [String] = []
  }

  static let capacity = 256
  private let waiting = Mutex(Waiting())
  private let deliver: @Sendable (AlertEvent) -> Void

  init(deliver: @escaping @Sendable (AlertEvent) -> Void) { self.deliver = deliver }

  /// An episode's `end` (inference thread): the clip's `update` to send after it, when the clip is already written.
  func ended(_ event: AlertEvent) -> AlertEvent? {
    let clip = waiting.withLock { waiting -> ClipRecorder.Clip? in
      if let clip = waiting.clips.removeValue(forKey: event.id) { return clip }
      Self.remember(event.id, in: &waiting)
      waiting.ends[event.id] = event
      return nil
    }
    return clip.map { Self.update(end: event, clip: $0) }
  }

  /// A clip written (reader thread).
  func finished(_ clip: ClipRecorder.Clip) {
    let end = waiting.withLock { waiting -> AlertEvent? in
      if let end = waiting.ends.removeValue(forKey: clip.id) { return end }
      Self.remember(clip.id, in: &waiting)
      waiting.clips[clip.id] = clip
      return nil
    }
    if let end { deliver(Self.update(end: end, clip: clip)) }
  }

  private static func remember(_ id: String, in waiting: inout Waiting) {
    waiting.order.append(id)
    while waiting.order.count > capacity {
      let oldest = waiting.order.removeFirst()
      waiting.ends[oldest] = nil
      waiting.clips[oldest] = nil
    }
  }

  /// The ended episode's last event: an `update` naming its clip.
  static func update(end: AlertEvent, clip: ClipRecorder.Clip) -> AlertEvent {
    var event = end
    event.kind = .update
    event.reason = nil
    event.snapshot = nil
    event.snapshotState = nil
    event.decodedAt = nil
    event.clip = AlertEvent.Clip(
      file: URL(fileURLWithPath: clip.path).lastPathComponent, startTime: clip.startTime, endTime: clip.endTime)
    return event
  }
}
