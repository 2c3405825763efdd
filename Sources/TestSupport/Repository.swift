import Foundation

/// Paths inside this repository, found from this file's location so tests
/// run from any working directory.
public enum Repository {
  public static let root: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  public static func script(_ name: String) -> String { root.appendingPathComponent("scripts/\(name)").path }

  /// A fresh directory for one test's files, inside this test process's own
  /// folder under the system temp dir (`monitor-tests-<pid>`), which is
  /// removed when the process exits; folders of test runs that were killed
  /// are removed by the next run.
  public static func temporaryDirectory(_ label: String) throws -> URL {
    let url = testRunFolder.appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// Child process logs and test files of this run.
  public static let testRunFolder: URL = {
    let base = FileManager.default.temporaryDirectory
    let prefix = "monitor-tests-"
    for name in (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? [] where name.hasPrefix(prefix) {
      guard let pid = Int32(name.dropFirst(prefix.count)), kill(pid, 0) != 0, errno == ESRCH else { continue }
      try? FileManager.default.removeItem(at: base.appendingPathComponent(name))
    }
    let url = base.appendingPathComponent(prefix + "\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(at: Repository.testRunFolder) }
    return url
  }()

}
