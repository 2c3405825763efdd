import Alerts
import Foundation
import ModelIO
import Tensor

/// Each camera's temporal state in `<state_dir>/temporal/<camera>.safetensors`,
/// so a restarted daemon resumes where it was instead of re-learning the
/// scene. Saved every `interval` seconds and at stop (on the delivery
/// thread, never the inference thread), each file whole or not at all
/// (`DurableFile`). Restored at start only when saved under the same model
/// fingerprint; otherwise, or when the file is damaged, the camera starts
/// fresh and the log says why.
public final class TemporalStateStore: Sendable {
  /// Seconds between periodic saves (a crash loses at most this much learning).
  public static let interval = 60.0

  public typealias Saved = (tensors: [String: Tensor], metadata: [String: String])

  public let directory: String
  private let fingerprint: String
  private let log: @Sendable (String) -> Void

  public init(directory: String, fingerprint: String, log: @escaping @Sendable (String) -> Void) throws {
    self.directory = directory
    self.fingerprint = fingerprint
    self.log = log
    try Outbox.makeDirectories(directory)
  }

  func path(_ camera: CameraID) -> String { directory + "/" + camera.name + ".safetensors" }

  /// Writes each camera's state (delivery thread). A failure is logged, never fatal.
  func save(_ states: [(camera: CameraID, state: Saved)]) {
    for (camera, state) in states {
      var metadata = state.metadata
      metadata["model"] = fingerprint
      do {
        try DurableFile.write(SafeTensorsWriter.encode(state.tensors, metadata: metadata), to: path(camera))
      } catch {
        log("camera \(camera): temporal state not saved: \(error)")
      }
    }
  }

  /// Restores `pipeline`'s saved state if there is one for this model; logs what happened.
  func restore(_ pipeline: CameraPipeline) {
    let file = path(pipeline.id)
    guard FileManager.default.fileExists(atPath: file) else { return }
    do {
      let saved = try SafeTensors(path: file)
      guard saved.metadata["model"] == fingerprint else {
        log("camera \(pipeline.id): saved temporal state is from another model; starting fresh")
        return
      }
      let gap = try pipeline.restoreTemporalState(saved)
      log("camera \(pipeline.id): temporal state restored (saved \(Int(gap.rounded())) s ago, decayed over the gap)")
    } catch {
      log("camera \(pipeline.id): saved temporal state unusable (\(error)); starting fresh")
    }
  }
}
