import Core
import Foundation
import Rules

/// The rules directory: one `<id>.toml` per rule, written atomically
/// (temporary file + rename) so the daemon never reads half a rule. A broken
/// file is reported (file, line, what is wrong) and skipped; every other rule
/// still loads.
public struct RuleStore: Sendable {
  public let directory: String

  public struct Contents: Sendable, Equatable {
    public var rules: [Rule]
    public var problems: [ConfigError]
  }

  public init(directory: String) { self.directory = directory }

  public func path(of id: String) -> String { directory + "/" + id + ".toml" }

  /// Every `*.toml` in the directory, sorted by file name. A missing
  /// directory is one problem, not a crash.
  public func load() -> Contents {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
      return Contents(
        rules: [], problems: [ConfigError(file: directory, line: 0, "rules directory is missing or unreadable")])
    }
    var rules: [Rule] = []
    var problems: [ConfigError] = []
    var files: [String: String] = [:]
    for name in names.sorted() where name.hasSuffix(".toml") && !name.hasPrefix(".") {
      let file = directory + "/" + name
      do {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8)
        else {
          throw ConfigError(file: file, line: 0, "cannot read (permissions, or not UTF-8)")
        }
        let rule = try Rule(toml: text, file: file)
        if let other = files[rule.id] {
          throw ConfigError(file: file, line: 0, "id '\(rule.id)' is already used by \(other)")
        }
        files[rule.id] = file
        rules.append(rule)
      } catch let error as ConfigError {
        problems.append(error)
      } catch {
        problems.append(ConfigError(file: file, line: 0, "\(error)"))
      }
    }
    return Contents(rules: rules, problems: problems)
  }

  /// Writes `rule` as `<id>.toml`, atomically, creating the directory if needed.
  public func save(_ rule: Rule) throws {
    try rule.validate(file: path(of: rule.id))
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try Data(rule.toml.utf8).write(to: URL(fileURLWithPath: path(of: rule.id)), options: .atomic)
  }

  /// Removes the rule's file; throws naming the id if there is none.
  public func remove(id: String) throws {
    guard FileManager.default.fileExists(atPath: path(of: id)) else {
      throw ConfigError(file: path(of: id), line: 0, "no rule with id '\(id)'")
    }
    try FileManager.default.removeItem(atPath: path(of: id))
  }

  /// Loads one rule by id (for enable/disable), with its file's errors.
  public func rule(id: String) throws -> Rule {
    let file = path(of: id)
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
  public func fingerprint() -> [String] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return ["missing"] }
    return names.sorted().filter { $0.hasSuffix(".toml") && !$0.hasPrefix(".") }.map { name in
      let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)
      let size = (attributes?[.size] as? NSNumber)?.intValue ?? -1
      let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
      return "\(name) \(size) \(modified)"
    }
  }
}
