import Config
import FuzzSupport

/// Any bytes as `monitor.toml`: a configuration or a one-line `ConfigError`.
runFuzzer { data, size in
  _ = try? Configuration(toml: FuzzInput(data, size).text, file: "monitor.toml")
  return 0
}
