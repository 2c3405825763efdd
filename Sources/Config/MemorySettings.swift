import Core
import TOML

extension Configuration {
  /// `[memory]`: each camera's long-term memory for `monitor search`, kept
  /// in the event history's database (so it needs `[history]` on). Every
  /// `block_seconds` of footage is compressed into at most
  /// `entries_per_block` entries (MA-LMM's memory bank), each a mean CLIP
  /// embedding with its time span and a thumbnail.
  public struct Memory: Sendable, Equatable {
    public var enabled = true
    public var blockSeconds = 120.0
    public var entriesPerBlock = 8
    /// Entries older than this are deleted.
    public var keepDays = 14
    /// The memory stays under this (apart from the episodes' `[history] max_megabytes`); the oldest blocks go first.
    public var maxMegabytes = 2_048

    public static let keys = ["enabled", "block_seconds", "entries_per_block", "keep_days", "max_megabytes"]

    public init() {}

    init(_ table: TOMLTable, file: String) throws(ConfigError) {
      try table.requireKnownKeys(Self.keys, file: file)
      enabled = try table.boolean("enabled", file: file) ?? enabled
      blockSeconds = try table.number("block_seconds", file: file) ?? blockSeconds
      guard blockSeconds >= 10 && blockSeconds <= 3_600 else {
        throw ConfigError(
          file: file, line: table["block_seconds"]?.line ?? table.line,
          "memory block_seconds must be 10…3600 seconds, got \(blockSeconds)")
      }
      entriesPerBlock =
        try table.integer("entries_per_block", in: 1...256, named: "memory entries_per_block", file: file)
        ?? entriesPerBlock
      keepDays = try table.integer("keep_days", in: 1...36_500, named: "memory keep_days", file: file) ?? keepDays
      maxMegabytes =
        try table.integer("max_megabytes", in: 1...1_048_576, named: "memory max_megabytes", file: file)
        ?? maxMegabytes
    }
  }
}
