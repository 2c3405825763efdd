import Core
import Foundation
import Rules

#if canImport(Glibc)
  import Glibc
#endif

/// The rules directory: one `<id>.toml` per rule, written atomically
/// (temporary file + rename) so the daemon never reads half a rule. A broken
/// file is reported (file, line, what is wrong) and skipped; every other rule
/// still loads.
public struct RuleStore: Sendable {
  public let directory: String

  public struct Contents: Sendable, Equatable {
    public var rules: [Rule]
    public var problems: [ConfigError]
    /// The directory itself could not be listed (missing, permissions).
    public var isUnreadable = false
  }

  /// Pictures of false alarms attached to their rules as they load; nil: none.
  public let falseAlarms: FalseAlarms?

  public init(directory: String, falseAlarms: FalseAlarms? = nil) {
    self.directory = directory
    self.falseAlarms = falseAlarms
  }

  public func path(of id: String) -> String { directory + "/" + id + ".toml" }

  /// `path(of:)` for an id typed by an operator: refused unless it is a valid
  /// rule id, so `../monitor` can never name a file outside the directory.
  private func existingPath(of id: String) throws(ConfigError) -> String {
    guard Rule.isValidID(id) else {
      throw ConfigError(
        file: directory, line: 0, "'\(id)' is not a rule id (1–64 characters of a–z, 0–9, '-' and '_')")
    }
    return path(of: id)
  }

  /// Every `*.toml` in the directory, sorted by file name; each must be
  /// named after its rule's id. A missing directory is one problem, not a
  /// crash (`isUnreadable`: the daemon then keeps the rules it has).
  public func load() -> Contents {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
      return Contents(
        rules: [], problems: [ConfigError(file: directory, line: 0, "rules directory is missing or unreadable")],
        isUnreadable: true)
    }
    var rules: [Rule] = []
    var problems: [ConfigError] = []
    for name in names.sorted() where name.hasSuffix(".toml") && !name.hasPrefix(".") {
      let file = directory + "/" + name
      do {
        if let problem = Self.problem(with: file) { throw ConfigError(file: file, line: 0, problem) }
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8)
        else {
          throw ConfigError(file: file, line: 0, "cannot read (permissions, or not UTF-8)")
        }
        let rule = try Rule(toml: text, file: file)
        // The rule commands find a rule by its file name; one name per id also rules out duplicates.
        guard name == rule.id + ".toml" else {
          throw ConfigError(
            file: file, line: 0, "id '\(rule.id)' does not match the file name (rename the file to \(rule.id).toml)")
        }
        var loaded = rule
        loaded.falseAlarms = falseAlarms?.pictures(rule: rule.id) ?? []
        rules.append(loaded)
      } catch let error as ConfigError {
        problems.append(error)
      } catch {
        problems.append(ConfigError(file: file, line: 0, "\(error)"))
      }
    }
    return Contents(rules: rules, problems: problems)
  }

  /// Why `file` is not read as a rule, checked before opening it: a symbolic
  /// link (a secret linked in by mistake would be quoted in the log), a
  /// FIFO or device (a read could block forever), or an oversized file.
  static func problem(with file: String) -> String? {
    var status = stat()
    guard lstat(file, &status) == 0 else { return String(cString: strerror(errno)) }
    switch status.st_mode & S_IFMT {
    case S_IFREG: break
    case S_IFLNK: return "a symbolic link; rules must be plain files in the rules directory (copy it there)"
    default: return "not a regular file (a FIFO, device or directory)"
    }
    guard status.st_size <= Limits.settingsFileBytes else {
      return "larger than \(Limits.settingsFileBytes >> 20) MB: not a rule"
    }
    return nil
  }

  /// Writes `rule` as `<id>.toml`, atomically, creating the directory if needed.
  /// `replacing: false` (a new rule) fails when the file exists, also when
  /// another writer created it a moment ago: the complete file is linked
  /// into place, which refuses an existing name, rather than renamed over it.
  public func save(_ rule: Rule, replacing: Bool = true) throws {
    let final = path(of: rule.id)
    try rule.validate(file: final)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    guard !replacing else {
      try Data(rule.toml.utf8).write(to: URL(fileURLWithPath: final), options: .atomic)
      return
    }
    // A dot file: the watcher never reads it.
    let temporary = directory + "/.\(rule.id).\(UUID().uuidString).tmp"
    try Data(rule.toml.utf8).write(to: URL(fileURLWithPath: temporary))
    defer { unlink(temporary) }
    guard link(temporary, final) == 0 else {
      let reason = errno == EEXIST ? "exists" : String(cString: strerror(errno))
      throw ConfigError(
        file: final, line: 0,
        reason == "exists"
          ? "a rule with id '\(rule.id)' exists; remove it first or pick another --id" : "cannot write (\(reason))")
    }
  }

  /// Removes the rule's file; throws naming the id if there is none.
  public func remove(id: String) throws {
    let file = try existingPath(of: id)
    guard FileManager.default.fileExists(atPath: file) else {
      throw ConfigError(file: file, line: 0, "no rule with id '\(id)'")
    }
    try FileManager.default.removeItem(atPath: file)
  }

  /// Loads one rule by id (for enable/disable), with its file's errors.
  public func rule(id: String) throws -> Rule {
    let file = try existingPath(of: id)
    guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
      throw ConfigError(file: file, line: 0, "no rule with id '\(id)'")
    }
    return try Rule(toml: text, file: file)
  }

  /// A lowercase id from the rule's text ("Person falls!" → "person-falls"),
  /// made unique in the directory with -2, -3, …
  public func suggestedID(for text: String) -> String {
    var slug = ""
    for character in text.lowercased() {
      if character.isASCII && (character.isLetter || character.isNumber) {
        slug.append(character)
      } else if !slug.isEmpty && slug.last != "-" {
        slug.append("-")
      }
      if slug.count >= 48 { break }
    }
    while slug.hasSuffix("-") { slug.removeLast() }
    if slug.isEmpty { slug = "rule" }
    var candidate = slug
    var number = 2
    while FileManager.default.fileExists(atPath: path(of: candidate)) {
      candidate = "\(slug)-\(number)"
      number += 1
    }
    return candidate
  }

  /// (name, size, modification time) of every rule file: a change in any means reload.
  /// The pictures of false alarms count too: a new one takes effect without a restart.
  public func fingerprint() -> [String] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return ["missing"] }
    return (falseAlarms?.fingerprint() ?? [])
      + names.sorted().filter { $0.hasSuffix(".toml") && !$0.hasPrefix(".") }.map { name in
        let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? -1
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(name) \(size) \(modified)"
      }
  }
}
