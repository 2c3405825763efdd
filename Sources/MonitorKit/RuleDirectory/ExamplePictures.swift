import Core
import Foundation
import Rules
import Synchronization
import Video

#if canImport(Glibc)
  import Glibc
#endif

/// The decoded pictures of rules' `examples`, so that the inference thread
/// never opens a file: the daemon prepares them on the rule watcher's thread
/// whenever the rules change, and a scorer only reads them. An example must be
/// a plain local file of at most `maxBytes` (no stream, device, FIFO or
/// `/dev/zero`, which could block or never end), decoded with a deadline.
public final class ExamplePictures: Sendable {
  /// Largest example file accepted (a 50-megapixel JPEG is about 20 MB).
  public static let maxBytes = 64 << 20
  /// Seconds allowed to open and decode one example (a hung network mount).
  static let deadline = 5.0

  private let geometry: PictureGeometry
  private let pictures = Mutex<[String: Result<Frame, ConfigError>]>([:])

  /// `geometry`: the model's (frames come out as the model takes them).
  public init(geometry: PictureGeometry) { self.geometry = geometry }

  /// Decodes every example of `rules` (again, so an edited picture is picked
  /// up) and forgets pictures no rule uses any more.
  public func prepare(for rules: [Rule]) {
    let paths = Set(rules.flatMap(\.examples))
    var decoded: [String: Result<Frame, ConfigError>] = [:]
    for path in paths { decoded[path] = Result { () throws(ConfigError) in try decode(path) } }
    pictures.withLock { $0 = decoded }
  }

  /// The picture of `path`: prepared, or decoded now (replay, tests).
  public func picture(_ path: String) throws(ConfigError) -> Frame {
    if let prepared = pictures.withLock({ $0[path] }) { return try prepared.get() }
    let result = Result { () throws(ConfigError) in try decode(path) }
    pictures.withLock { $0[path] = result }
    return try result.get()
  }

  /// Why `path` cannot be an example picture, checked before opening it;
  /// nil when it is a readable regular file within `maxBytes`.
  public static func problem(with path: String) -> String? {
    guard case .file(let file)? = try? SourceSpec(parsing: path).kind else {
      return "an example must be a local image file, not a stream or device"
    }
    var status = stat()
    guard stat(file, &status) == 0 else { return String(cString: strerror(errno)) }
    guard status.st_mode & S_IFMT == S_IFREG else { return "not a regular file (a FIFO, device or directory)" }
    guard status.st_size <= maxBytes else { return "larger than \(maxBytes >> 20) MB" }
    guard access(file, R_OK) == 0 else { return "not readable (permissions)" }
    return nil
  }

  private func decode(_ path: String) throws(ConfigError) -> Frame {
    if let problem = Self.problem(with: path) {
      throw ConfigError(file: Redaction.mask(path), line: 0, "example image: \(problem)")
    }
    var options = SourceOptions()
    options.geometry = geometry
    options.sampleRate = nil
    options.openTimeout = Self.deadline
    options.stallTimeout = Self.deadline
    do {
      guard let frame = try VideoSource(url: path, options: options).nextFrame() else {
        throw ConfigError(file: path, line: 0, "example image has no picture")
      }
      return frame
    } catch let error as ConfigError {
      throw error
    } catch {
      throw ConfigError(file: path, line: 0, "example image: \(error)")
    }
  }
}
