import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Events waiting for the broker's acknowledgement, on disk: one file per
/// message, written and fsync'd before it is published and removed on PUBACK,
/// so nothing accepted is lost to a broker outage, a restart or SIGKILL.
/// Files are named by a sequence number, so delivery after a reconnect is in
/// order. A damaged file (truncated, garbage) is reported, moved aside as
/// `.bad`, and the good ones are kept.
public final class Outbox: @unchecked Sendable {
  public struct Message: Sendable, Equatable {
    public var sequence: UInt64
    public var topic: String
    public var payload: Data
    public var kind: OutboxPolicy.Kind
  }

  public let directory: String
  private let policy: OutboxPolicy
  private let lock = NSLock()
  private var messages: [Message] = []
  private var nextSequence: UInt64 = 1
  /// Dropped by the capacity policy since start.
  public private(set) var dropped = 0
  /// Accepted since start but kept only in memory, because the disk refused them.
  public private(set) var unstored = 0
  /// Problems found when loading (damaged files), for the log.
  public private(set) var problems: [String] = []

  private static let magic = "MONITOR-OUTBOX-1"

  public init(directory: String, capacity: Int = 10_000) throws {
    self.directory = directory
    policy = OutboxPolicy(capacity: capacity)
    try Self.makeDirectories(directory)
    load()
  }

  /// `mkdir -p` that names the component that failed and why (Foundation's
  /// error prints as a multi-line dictionary).
  public static func makeDirectories(_ path: String) throws(OutboxError) {
    var current = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
      current += "/" + component
      if mkdir(current, 0o755) != 0 && errno != EEXIST {
        throw OutboxError("\(current): cannot create the directory (\(String(cString: strerror(errno))))")
      }
    }
    var status = stat()
    guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
      throw OutboxError("\(path): cannot be the outbox directory (not a directory)")
    }
  }

  public var count: Int { lock.withLock { messages.count } }
  public var pending: [Message] { lock.withLock { messages } }

  /// What `append` did: the message (with its sequence number), the
  /// sequences the capacity policy dropped (oldest first), and why the message
  /// could not be written to disk, if it could not.
  public struct Appended: Sendable {
    public var message: Message
    public var dropped: [UInt64]
    public var failure: OutboxError?
  }

  /// Stores a message durably and returns it. Delivery comes before
  /// durability: when the disk fails (full, read-only, permissions) the
  /// message is kept in memory anyway, in order, so it is still published and
  /// re-sent after reconnects (it is lost only if the process dies first); the
  /// next append tries the disk again.
  @discardableResult
  public func append(topic: String, payload: Data, kind: OutboxPolicy.Kind) -> Appended {
    lock.withLock {
      let message = Message(sequence: nextSequence, topic: topic, payload: payload, kind: kind)
      nextSequence += 1
      var failure: OutboxError?
      do throws(OutboxError) {
        try write(message)
      } catch {
        failure = error
        unstored += 1
      }
      messages.append(message)
      let drops = policy.drops(messages.map { ($0.sequence, $0.kind) })
      for sequence in drops { removeLocked(sequence) }
      dropped += drops.count
      return Appended(message: message, dropped: drops, failure: failure)
    }
  }

  /// The broker acknowledged `sequence`.
  public func remove(_ sequence: UInt64) { lock.withLock { removeLocked(sequence) } }

  private func removeLocked(_ sequence: UInt64) {
    messages.removeAll { $0.sequence == sequence }
    unlink(path(sequence))
  }

  private func path(_ sequence: UInt64) -> String {
    directory + "/" + String(repeating: "0", count: max(0, 20 - String(sequence).count)) + String(sequence) + ".msg"
  }

  /// Header lines then the payload; the length makes truncation detectable.
  private func write(_ message: Message) throws(OutboxError) {
    var data = Data("\(Self.magic)\n\(message.kind.rawValue)\n\(message.topic)\n\(message.payload.count)\n".utf8)
    data.append(message.payload)
    try DurableFile.write(data, to: path(message.sequence))
  }

  private func load() {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    for name in names.sorted() where name.hasSuffix(".msg") {
      let file = directory + "/" + name
      guard let sequence = UInt64(name.dropLast(4)), let data = FileManager.default.contents(atPath: file),
        let message = Self.decode(data, sequence: sequence)
      else {
        problems.append("\(file): damaged outbox record (truncated or garbage), moved aside as .bad")
        rename(file, file + ".bad")
        continue
      }
      messages.append(message)
      nextSequence = max(nextSequence, sequence + 1)
    }
    for name in names where name.hasSuffix(".tmp") { unlink(directory + "/" + name) }
  }

  /// One record file's contents, or nil when it is not a whole record (public for the fuzz harness).
  public static func decode(_ data: Data, sequence: UInt64) -> Message? {
    var lines: [String] = []
    var index = data.startIndex
    while lines.count < 4, let newline = data[index...].firstIndex(of: 0x0A) {
      guard let line = String(data: data[index..<newline], encoding: .utf8) else { return nil }
      lines.append(line)
      index = data.index(after: newline)
    }
    guard lines.count == 4, lines[0] == magic, let kind = OutboxPolicy.Kind(rawValue: lines[1]), !lines[2].isEmpty,
      let length = Int(lines[3]), data.distance(from: index, to: data.endIndex) == length
    else { return nil }
    return Message(sequence: sequence, topic: lines[2], payload: Data(data[index...]), kind: kind)
  }
}

public struct OutboxError: Error, CustomStringConvertible, Sendable {
  public let description: String
  init(_ description: String) { self.description = description }
}
