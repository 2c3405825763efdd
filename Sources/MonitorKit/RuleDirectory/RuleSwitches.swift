import Alerts
import Core
import Foundation
import Rules
import Synchronization

/// Rules switched off for one camera at run time (Home Assistant's switch,
/// an MQTT `<camera>/<rule>/set`): a rule switched off raises nothing on that
/// camera (an open episode ends) and keeps its entities, so it can be switched
/// on again. Kept in `state_dir/rule-switches.json`, never beside the rules:
/// what the daemon changes at run time goes where the unit lets it write
/// (`/etc/monitor` is mounted read-only). Read by the inference thread at
/// every frame, changed by the broker thread.
public final class RuleSwitches: Sendable {
  public typealias Pair = BrokerSession.Pair

  /// The file's shape: only what is off (everything else is on).
  private struct Stored: Codable {
    var switchedOff: [Pair]
    enum CodingKeys: String, CodingKey { case switchedOff = "switched_off" }
  }

  public static let fileName = "rule-switches.json"
  static let maxBytes = 1 << 20

  /// nil: kept in memory only.
  public let file: String?
  private let off: Mutex<Set<Pair>>
  private let log: @Sendable (String) -> Void

  /// Loads `file`; one that is missing means every rule on, one that is damaged is logged and means the same.
  public init(file: String?, log: @escaping @Sendable (String) -> Void) {
    self.file = file
    self.log = log
    var loaded: Set<Pair> = []
    if let file {
      do {
        loaded = try Self.read(file: file)
      } catch {
        log("\(file): \(error); every rule is switched on")
      }
    }
    off = Mutex(loaded)
  }

  /// The pairs switched off in `file` (empty when there is no such file).
  public static func read(file: String) throws -> Set<Pair> {
    guard FileManager.default.fileExists(atPath: file) else { return [] }
    // Written by the daemon (a few bytes per switch); anything far larger is not ours, and not read whole.
    let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0
    guard size <= Self.maxBytes else {
      throw ConfigError(file: file, line: 0, "larger than \(Self.maxBytes >> 20) MB: not a rule switch file")
    }
    let data = try Data(contentsOf: URL(fileURLWithPath: file))
    guard let stored = try? JSONDecoder().decode(Stored.self, from: data) else {
      throw ConfigError(file: file, line: 0, "not a rule switch file (damaged?)")
    }
    return Set(stored.switchedOff)
  }

  public var switchedOff: Set<Pair> { off.withLock { $0 } }

  /// The rules of `rules` switched on for `camera`.
  public func active(_ rules: [Rule], camera: String) -> [Rule] {
    let off = self.off.withLock { $0 }
    if off.isEmpty { return rules }
    return rules.filter { !off.contains(Pair(camera: camera, rule: $0.id)) }
  }

  /// Switches `pair` on or off and saves the change (a save that fails is logged; the switch holds until restart).
  public func set(_ pair: Pair, on: Bool) {
    let changed = off.withLock { on ? $0.remove(pair) != nil : $0.insert(pair).inserted }
    guard changed else { return }
    log("rule \(pair.rule) switched \(on ? "on" : "off") for camera \(pair.camera)")
    save()
  }

  /// Forgets the switches of pairs that no longer exist (a rule removed and
  /// added again starts switched on, as its new Home Assistant entity does);
  /// returns the pairs still off.
  @discardableResult
  public func keep(only pairs: Set<Pair>) -> Set<Pair> {
    let (kept, changed) = off.withLock { off in
      let kept = off.intersection(pairs)
      defer { off = kept }
      return (kept, kept != off)
    }
    if changed { save() }
    return kept
  }

  private func save() {
    guard let file else { return }
    let sorted = off.withLock { $0 }.sorted()
    do {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try DurableFile.write(try encoder.encode(Stored(switchedOff: sorted)), to: file)
    } catch {
      log("cannot save \(file) (\(error)); rule switches hold until the daemon restarts")
    }
  }
}
