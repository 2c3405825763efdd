import Core
import Foundation
import History
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
  /// The rolling embeddings beside false-alarm pictures (`BestFrame`), when made by this model.
  private let states = Mutex<[String: [[Float]]]>([:])
  private let model: String
  private let dimension: Int

  /// `geometry`: the model's (frames come out as the model takes them);
  /// `model`, `dimension`: the fingerprint and embedding size a false
  /// alarm's saved rolling embeddings must have to be used.
  public init(geometry: PictureGeometry, model: String = "", dimension: Int = 0) {
    self.geometry = geometry
    self.model = model
    self.dimension = dimension
  }

  /// Decodes every example and false-alarm picture of `rules` (again, so an
  /// edited picture is picked up), reads the false alarms' saved rolling
  /// embeddings, and forgets what no rule uses any more.
  public func prepare(for rules: [Rule]) {
    let paths = Set(rules.flatMap { $0.examples + $0.falseAlarms })
    var decoded: [String: Result<Frame, ConfigError>] = [:]
    for path in paths { decoded[path] = Result { () throws(ConfigError) in try decode(path) } }
    var loaded: [String: [[Float]]] = [:]
    for path in Set(rules.flatMap(\.falseAlarms)) {
      loaded[path] = BestFrame.decode(file: HistoryRecorder.statePath(of: path), model: model, dimension: dimension)
    }
    pictures.withLock { $0 = decoded }
    states.withLock { $0 = loaded }
  }

  /// The rolling embeddings saved with false-alarm picture `path` by this
  /// model: prepared, or read now (replay, tests); nil when there are none.
  public func rollingState(_ path: String) -> [[Float]]? {
    if let prepared = states.withLock({ $0[path] }) { return prepared }
    let loaded = BestFrame.decode(file: HistoryRecorder.statePath(of: path), model: model, dimension: dimension)
    if let loaded { states.withLock { $0[path] = loaded } }
    return loaded
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
