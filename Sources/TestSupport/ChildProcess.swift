import Foundation

/// A helper process started by a test (RTSP server, broker, ffmpeg), with its
/// output in a log file so a failing test can show it. Killed on `deinit`, so
/// a failing test leaves nothing behind.
public final class ChildProcess: @unchecked Sendable {
  public let process = Process()
  public let logURL: URL

  /// Starts `executable` with `arguments`; stdout and stderr go to `logURL`.
  public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
    logURL = Repository.testRunFolder.appendingPathComponent(
      "\(URL(fileURLWithPath: executable).lastPathComponent)-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
    let log = try FileHandle(forWritingTo: logURL)
    // Children inherit the spawning thread's signal mask, and test-runner threads
    // block SIGTERM: a child would then ignore a graceful stop. A python3 exec
    // shim unblocks every signal first (same pid, since it execs).
    process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    process.arguments = ["-c", Self.unblockAndExec, executable] + arguments
    if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    process.standardOutput = log
    process.standardError = log
    process.standardInput = FileHandle.nullDevice
    try process.run()
  }

  deinit { kill() }

  private static let unblockAndExec =
    "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])"

  /// The output so far; invalid UTF-8 (binary payloads) is replaced, never fatal.
  public var log: String { (try? Data(contentsOf: logURL)).map { String(decoding: $0, as: UTF8.self) } ?? "" }
  public var isRunning: Bool { process.isRunning }

  /// The program run (not the exec shim).
  public var name: String { process.arguments?.dropFirst(2).first ?? "child" }

  /// Waits until the log contains `text`; throws with the log on timeout or exit.
  public func waitForOutput(_ text: String, timeout: Double = 15) throws {
    let end = Date().addingTimeInterval(timeout)
    while Date() < end {
      if log.contains(text) { return }
      if !process.isRunning { throw TestFailure("\(name) exited early:\n\(log)") }
      Thread.sleep(forTimeInterval: 0.05)
    }
    throw TestFailure("timed out waiting for '\(text)' from \(name):\n\(log)")
  }

  public func signal(_ signal: Int32) {
    if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
  }

  /// SIGKILL and reap.
  public func kill() {
    guard process.isRunning else { return }
    Foundation.kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }

  /// Runs a command to completion; throws with its output if it fails.
  @discardableResult
  public static func run(_ executable: String, _ arguments: [String]) throws -> String {
    let child = try ChildProcess(executable, arguments)
    child.process.waitUntilExit()
    guard child.process.terminationStatus == 0 else {
      throw TestFailure("\(executable) \(arguments.joined(separator: " ")) failed:\n\(child.log)")
    }
    return child.log
  }
}

/// A test precondition that failed (missing tool, helper that did not start).
public struct TestFailure: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}
