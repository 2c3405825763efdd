import Foundation

/// Paths inside this repository, found from this file's location so tests
/// run from any working directory.
public enum Repository {
  public static let root: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  public static func script(_ name: String) -> String { root.appendingPathComponent("scripts/\(name)").path }

  /// A fresh directory under the system temp dir for one test's files.
  public static func temporaryDirectory(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("monitor-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}
