import CEmbeddedModel
import Foundation
import ModelIO

#if canImport(Glibc)
  import Glibc
#endif

/// The small default model linked into the binary (models/synthetic: a tiny
/// CLIP and a trained TemporalAdapter for the synthetic shapes world; see
/// models/README.md for what it can and cannot do). Used when `[model] clip`
/// is empty, so `monitor` runs with nothing to download or copy.
public enum EmbeddedModel {
  public static let name = "synthetic"
  public static let clipFiles = [
    "config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json",
  ]
  static let temporalFile = "temporal.safetensors"
  /// `monitor search`'s re-ranker.
  static let retrospectiveFile = "retrospective.safetensors"

  /// The files a tokenizer needs (`add-rule` warns about truncated text).
  public static let tokenizerFiles = ["config.json", "vocab.json", "merges.txt"]

  /// Calls `body` with a private directory holding the embedded `files`
  /// (default: all of them, Hugging Face layout plus `temporal.safetensors`
  /// and `retrospective.safetensors`),
  /// removed afterwards: the loaders read or map the files and keep their own
  /// copies. Under `$TMPDIR` (which must exist: it is never created), named
  /// after this process, so a copy a SIGKILL left behind is removed by the
  /// next command that extracts.
  public static func withFiles<T>(_ files: [String]? = nil, _ body: (String) throws -> T) throws -> T {
    let directory = try extract(files ?? clipFiles + [temporalFile, retrospectiveFile])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try body(directory)
  }

  private static let prefix = "monitor-model-"

  private static func extract(_ files: [String]) throws -> String {
    let parent = FileManager.default.temporaryDirectory.path
    removeLeftovers(in: parent)
    let directory = parent + "/\(prefix)\(getpid())-\(UUID().uuidString.prefix(8))"
    do {
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
    } catch {
      throw ModelError(file: parent, "cannot unpack the embedded model here (TMPDIR missing or not writable)")
    }
    for name in files {
      var size = 0
      guard let bytes = monitor_embedded_file(name, &size) else {
        throw ModelError(file: "embedded model", "\(name) is missing from this build")
      }
      let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes), count: size, deallocator: .none)
      try data.write(to: URL(fileURLWithPath: directory + "/" + name))
    }
    return directory
  }

  /// Copies whose process is gone (killed while loading).
  private static func removeLeftovers(in parent: String) {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
    for name in names where name.hasPrefix(prefix) {
      guard let pid = Int32(name.dropFirst(prefix.count).prefix { $0 != "-" }), pid != getpid() else { continue }
      if kill(pid, 0) != 0 && errno == ESRCH { try? FileManager.default.removeItem(atPath: parent + "/" + name) }
    }
  }
}
