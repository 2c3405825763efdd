import Foundation
import TestSupport
import Testing

/// The published JSON shapes (`schemas/`), checked with scripts/validate-json (python3-jsonschema).
enum SchemaValidation {
  /// Expects every line of `file` to be valid against `schemas/<schema>.schema.json`.
  static func expectValid(file: String, against schema: String) throws {
    let validation = try ChildProcess(
      "/bin/sh",
      ["-c", "\(Repository.script("validate-json")) \(Repository.root.path)/schemas/\(schema).schema.json < \(file)"])
    validation.process.waitUntilExit()
    #expect(validation.process.terminationStatus == 0, "\(schema): \(validation.log)")
  }

  /// The same for `documents` (one JSON document each), written to a file in `directory`.
  static func expectValid(_ documents: [String], against schema: String, in directory: URL) throws {
    let file = directory.appendingPathComponent("\(schema)-\(UUID().uuidString).jsonl").path
    try documents.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
    try expectValid(file: file, against: schema)
  }
}
