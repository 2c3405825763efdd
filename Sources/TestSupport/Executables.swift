import Foundation

/// The package's built executables, next to the test bundle in the build folder.
public enum Executables {
  public static func path(_ name: String) throws -> String {
    let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for directory in [bundleDirectory, bundleDirectory.deletingLastPathComponent()] {
      let candidate = directory.appendingPathComponent(name).path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    let fallback = Repository.root.appendingPathComponent(".build/debug/\(name)").path
    if FileManager.default.isExecutableFile(atPath: fallback) { return fallback }
    throw TestFailure("executable '\(name)' not found near \(bundleDirectory.path); run `swift build` first")
  }

  /// Runs `monitor` with `arguments` to the end, as an operator types a command: its exit status and output.
  public static func monitor(_ arguments: [String], environment: [String: String]? = nil) throws -> (
    status: Int32, output: String
  ) {
    let child = try ChildProcess(try path("monitor"), arguments, environment: environment)
    child.process.waitUntilExit()
    return (child.process.terminationStatus, child.log)
  }
}
