import Config

/// The configuration file's model, under the daemon's name: the command line
/// imports MonitorKit alone, while the fuzz harness reads `Config` directly.
public typealias Configuration = Config.Configuration
