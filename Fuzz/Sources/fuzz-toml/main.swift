import FuzzSupport
import TOML

/// Any bytes as a configuration or rule file: the strict TOML reader returns a
/// table or a `ConfigError` naming a line; it never traps or recurses unbounded.
runFuzzer { data, size in
  _ = try? TOMLTable.parse(FuzzInput(data, size).text, file: "fuzz.toml")
  return 0
}
