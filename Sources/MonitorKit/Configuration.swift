import Config
import Core
import Rules

// The command line imports MonitorKit alone (its import allow-list is checked
// by scripts/test); the value types it names are those of the leaf modules,
// under the same names. Aliases, not `@_exported import`: only what the
// commands need is visible, and nothing of Video, CLIP or ModelIO.

/// The configuration file's model (the fuzz harness reads `Config` directly).
public typealias Configuration = Config.Configuration
/// A rule, as the rule commands build and print it.
public typealias Rule = Rules.Rule
/// Where an event goes (the log line, the events file, MQTT).
public typealias AlertSink = Core.AlertSink
