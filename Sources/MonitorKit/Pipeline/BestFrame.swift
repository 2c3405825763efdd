import Core
import Foundation
import ModelIO
import Rules
import Tensor

/// An episode's best frame as its tracker keeps it: the picture (the
/// snapshot) and what the temporal model made of the stream at that frame,
/// its rolling embeddings (one per horizon, or one for all). The rolling
/// embeddings are what the rule scored: kept beside the snapshot
/// (`snapshots/<id>.state`), they let a false alarm be recognised by what
/// happened, not only by how the frame looked.
public struct BestFrame: Sendable {
  public var picture: Picture
  public var rolling: [[Float]]
  /// The fingerprint of the models that made `rolling` (`Engine.fingerprint`).
  public var model: String
  /// What `rolling` follows: the whole frame or the region the rule matched in.
  public var view: CameraView

  public init(picture: Picture, rolling: [[Float]], model: String, view: CameraView = .whole) {
    self.picture = picture
    self.rolling = rolling
    self.model = model
    self.view = view
  }

  /// `rolling` as safetensors (`decode` reads it back).
  public var encodedState: [UInt8] { Self.encode(rolling, model: model) }

  /// The rolling embeddings as safetensors, named with the model they belong to.
  public static func encode(_ rolling: [[Float]], model: String) -> [UInt8] {
    let dimension = rolling.first?.count ?? 0
    let tensor = Tensor(shape: [rolling.count, dimension], scalars: rolling.flatMap { $0 })
    return Array(SafeTensorsWriter.encode(["rolling": tensor], metadata: ["model": model]))
  }

  /// The rolling embeddings a state file holds, when it was written under
  /// `model` with embeddings of `dimension`; nil otherwise (another model's
  /// numbers mean nothing here) or when it cannot be read.
  public static func decode(file path: String, model: String, dimension: Int) -> [[Float]]? {
    // The shape is checked in the header before anything is read: at most one embedding per horizon.
    guard FileManager.default.fileExists(atPath: path), let file = try? SafeTensors(path: path),
      file.metadata["model"] == model, let shape = file.entries["rolling"]?.shape, shape.count == 2,
      shape[1] == dimension, (1...Rule.horizons.count).contains(shape[0]), let tensor = try? file.tensor("rolling")
    else { return nil }
    let scalars = tensor.scalars
    return (0..<tensor.shape[0]).map { Array(scalars[($0 * dimension)..<(($0 + 1) * dimension)]) }
  }
}
