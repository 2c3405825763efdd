import Core
import Foundation
import MonitorKit
import Rules
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite(.serialized) struct RuleStoreTests {
  @Test func brokenFileIsReportedAndTheOthersLoad() throws {
    let directory = try Repository.temporaryDirectory("rules").path
    let store = RuleStore(directory: directory)
    try store.save(Rule(id: "one", text: ["a dog"]))
    try store.save(Rule(id: "two", text: ["a cat"]))
    try "id = \"three\"\ntext = \"x\"\nthreshold = 2\n".write(
      toFile: directory + "/three.toml", atomically: true, encoding: .utf8)
    try "id = \"one\"\ntext = \"dup\"\n".write(toFile: directory + "/zzz.toml", atomically: true, encoding: .utf8)
    let contents = store.load()
    #expect(contents.rules.map(\.id) == ["one", "two"])
    #expect(
      contents.problems.map(\.description) == [
        "\(directory)/three.toml:3: threshold must be between 0 and 1 (exclusive), got 2.0",
        "\(directory)/zzz.toml: id 'one' does not match the file name (rename the file to one.toml)",
      ])
  }

  @Test func suggestedIDsAreSlugsMadeUnique() throws {
    let store = RuleStore(directory: try Repository.temporaryDirectory("rules").path)
    #expect(store.suggestedID(for: "A person falls down!") == "a-person-falls-down")
    try store.save(Rule(id: "a-person-falls-down", text: ["x"]))
    #expect(store.suggestedID(for: "A person falls down!") == "a-person-falls-down-2")
    #expect(store.suggestedID(for: "東京") == "rule")
  }

  /// L6: two `add-rule … --id same` at once both said "added" (7 times in
  /// 10) and one rule was silently overwritten; now exactly one succeeds.
  @Test func l6ConcurrentNewRulesWithOneIDLeaveOneWinner() throws {
    for attempt in 0..<10 {
      let store = RuleStore(directory: try Repository.temporaryDirectory("rules").path)
      let outcomes = Recorder<Bool>()
      DispatchQueue.concurrentPerform(iterations: 2) { writer in
        let rule = Rule(id: "same", text: ["writer \(writer)"])
        outcomes.append((try? store.save(rule, replacing: false)) != nil)
      }
      #expect(outcomes.all.filter { $0 }.count == 1, "attempt \(attempt)")
      #expect(store.load().rules.map(\.id) == ["same"])
      let leftovers = try FileManager.default.contentsOfDirectory(atPath: store.directory).filter { $0.hasPrefix(".") }
      #expect(leftovers.isEmpty)
    }
  }

  /// L3: a secret symlinked into the rules directory was read as a rule and
  /// its first token quoted in the log; FIFOs and huge files are not read either.
  @Test func l3LinksFIFOsAndHugeFilesAreNotReadAsRules() throws {
    let directory = try Repository.temporaryDirectory("rules-links").path
    let secret = directory + "/../mqtt-password"
    try "supersecretpw\n".write(toFile: secret, atomically: true, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: directory + "/pw.toml", withDestinationPath: secret)
    #expect(mkfifo(directory + "/fifo.toml", 0o600) == 0)
    try Data(count: Limits.settingsFileBytes + 1).write(to: URL(fileURLWithPath: directory + "/huge.toml"))
    try RuleStore(directory: directory).save(Rule(id: "ok", text: ["a dog"]))
    let contents = RuleStore(directory: directory).load()  // returns: the FIFO is never opened
    #expect(contents.rules.map(\.id) == ["ok"])
    let problems = contents.problems.map(\.description)
    #expect(problems.count == 3)
    #expect(problems.contains { $0.contains("pw.toml") && $0.contains("symbolic link") })
    #expect(problems.contains { $0.contains("fifo.toml") && $0.contains("not a regular file") })
    #expect(problems.contains { $0.contains("huge.toml") && $0.contains("larger than 4 MB") })
    #expect(!problems.contains { $0.contains("supersecret") })
  }

  @Test func missingDirectoryIsOneProblem() {
    let contents = RuleStore(directory: "/nonexistent/rules").load()
    #expect(contents.rules.isEmpty && contents.problems.count == 1)
  }

  /// Add, edit, remove and break files while the watcher runs: each change arrives within a second.
  @Test func watcherSeesChangesWithinASecond() throws {
    let directory = try Repository.temporaryDirectory("rules").path
    let store = RuleStore(directory: directory)
    try store.save(Rule(id: "first", text: ["a dog"]))
    let updates = Recorder<RuleStore.Contents>()
    let watcher = RuleWatcher(store: store) { updates.append($0) }
    let initial = watcher.start()
    defer { watcher.stop() }
    #expect(initial.rules.map(\.id) == ["first"])

    func expectUpdate(_ description: String, _ check: @escaping (RuleStore.Contents) -> Bool) {
      let before = updates.count
      let arrived = waitUntil(timeout: 1) { updates.count > before && check(updates.all.last!) }
      #expect(arrived, "\(description) not seen within 1 s: \(updates.all.last.map { "\($0)" } ?? "none")")
    }
    try store.save(Rule(id: "second", text: ["a cat"]))
    expectUpdate("add") { $0.rules.map(\.id) == ["first", "second"] }
    var edited = Rule(id: "second", text: ["a cat"])
    edited.threshold = 0.8
    try store.save(edited)
    expectUpdate("edit") { $0.rules.last?.threshold == 0.8 }
    try "id = \"broken\"\ntext = \n".write(toFile: directory + "/broken.toml", atomically: true, encoding: .utf8)
    expectUpdate("broken file") { $0.rules.count == 2 && $0.problems.count == 1 }
    try store.remove(id: "first")
    expectUpdate("remove") { $0.rules.map(\.id) == ["second"] }
    watcher.reloadNow()
    expectUpdate("SIGHUP-style reload") { $0.rules.map(\.id) == ["second"] }
  }
}
