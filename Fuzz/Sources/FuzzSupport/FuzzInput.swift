import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// What a harness gets from libFuzzer, with the helpers harnesses share:
/// most of our parsers read a path (as the daemon does), so the bytes are
/// written to a per-process scratch file first.
public struct FuzzInput {
  public let bytes: UnsafeBufferPointer<UInt8>

  public init(_ data: UnsafePointer<UInt8>?, _ count: Int) {
    bytes = UnsafeBufferPointer(start: data, count: data == nil ? 0 : count)
  }

  public var data: Data { Data(buffer: bytes) }
  /// The bytes as text; invalid UTF-8 is repaired as `String(contentsOf:)` would refuse it.
  public var text: String { String(decoding: bytes, as: UTF8.self) }

  /// The bytes split at the first `separator` (the rest empty when absent).
  public func split(at separator: UInt8) -> (Data, Data) {
    guard let cut = bytes.firstIndex(of: separator) else { return (data, Data()) }
    return (Data(bytes[..<cut]), Data(bytes[(cut + 1)...]))
  }

  /// A scratch directory of this process (under TMPDIR), created once.
  public static let scratch: String = {
    let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    let path = "\(base)/monitor-fuzz-\(getpid())"
    mkdir(path, 0o700)
    return path
  }()

  /// Writes `data` to `name` in the scratch directory and returns its path.
  @discardableResult
  public static func write(_ data: Data, named name: String) -> String {
    let path = scratch + "/" + name
    guard FileManager.default.createFile(atPath: path, contents: data) else { fatalError("cannot write \(path)") }
    return path
  }

  /// The repository's root (for fixtures the harness reads, e.g. a real vocabulary).
  public static func repository(_ file: String = #filePath) -> String {
    URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().path
  }
}

/// libFuzzer's entry for programs that keep their own `main` (SwiftPM always
/// emits one for an executable): it parses the usual libFuzzer flags.
@_silgen_name("LLVMFuzzerRunDriver")
private func libFuzzerRunDriver(
  _ argc: UnsafeMutablePointer<CInt>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
  _ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Runs libFuzzer with the process's arguments, calling `body` per input; exits with its status.
public func runFuzzer(_ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
  var argc = CommandLine.argc
  var argv = Optional(CommandLine.unsafeArgv)
  exit(libFuzzerRunDriver(&argc, &argv, body))
}
