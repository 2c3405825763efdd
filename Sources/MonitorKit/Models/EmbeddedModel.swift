import CEmbeddedModel
import Foundation
import ModelIO

/// The small default model linked into the binary (models/synthetic: a tiny
/// CLIP and a trained TemporalAdapter for the synthetic shapes world; see
/// models/README.md for what it can and cannot do). Used when `[model] clip`
/// is empty, so `monitor` runs with nothing to download or copy.
public enum EmbeddedModel {
  public static let name = "synthetic"
  static let clipFiles = ["config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json"]
  static let temporalFile = "temporal.safetensors"

  /// Calls `body` with a directory holding the embedded files (Hugging Face
  /// layout plus `temporal.safetensors`), removed afterwards: the loaders
  /// read or map the files and keep their own copies.
  public static func withFiles<T>(_ body: (String) throws -> T) throws -> T {
    let directory = try extract()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try body(directory)
  }

  private static func extract() throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "monitor-model-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
    ).path
    try FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    for name in clipFiles + [temporalFile] {
      var size = 0
      guard let bytes = monitor_embedded_file(name, &size) else {
        throw ModelError(file: "embedded model", "\(name) is missing from this build")
      }
      let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes), count: size, deallocator: .none)
      try data.write(to: URL(fileURLWithPath: directory + "/" + name))
    }
    return directory
  }
}
