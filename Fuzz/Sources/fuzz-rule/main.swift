import FuzzSupport
import Rules

/// Any bytes as a rule file. A rule that loads must survive `add-rule`'s
/// writer: its TOML read back is the same rule (the daemon rewrites rule files
/// on enable/disable, so a lossy writer would change an operator's rule).
runFuzzer { data, size in
  guard let rule = try? Rule(toml: FuzzInput(data, size).text, file: "fuzz.toml") else { return 0 }
  guard let again = try? Rule(toml: rule.toml, file: "written.toml") else {
    fatalError("a loaded rule's own TOML does not load:\n\(rule.toml)")
  }
  guard again == rule else { fatalError("rule changed by a write and read:\n\(rule)\n\(again)") }
  return 0
}
