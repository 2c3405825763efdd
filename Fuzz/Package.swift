// swift-tools-version: 6.2
// monitor's libFuzzer harnesses: a package of their own, built only by
// `scripts/fuzz` with `-sanitize=fuzzer,address`. Each harness links the leaf
// module whose parser it fuzzes and nothing else of ours (never MonitorKit).
// How to run them and what they found: docs/TESTING.md ("Fuzzing").
import PackageDescription

/// SwiftPM names a path dependency after its folder, whatever the clone is called.
let monitorPackage = Context.packageDirectory.split(separator: "/").dropLast().last.map { $0.lowercased() } ?? "monitor"

let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

/// One harness: `fuzz-<name>` linking the given products of the root package.
func harness(_ name: String, _ products: [String]) -> Target {
  .executableTarget(
    name: "fuzz-\(name)",
    dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: monitorPackage) },
    swiftSettings: strict)
}

let package = Package(
  name: "monitor-fuzz",
  platforms: [.macOS(.v15)],
  dependencies: [.package(path: "..")],
  targets: [
    .target(name: "FuzzSupport", swiftSettings: strict),
    harness("toml", ["TOML"]),
    harness("config", ["Config"]),
    harness("rule", ["Rules"]),
    harness("safetensors", ["ModelIO"]),
    harness("clip-config", ["ModelIO"]),
    harness("vocabulary", ["ModelIO", "CLIP"]),
    harness("tokenizer", ["ModelIO", "CLIP"]),
    harness("spiece", ["ModelIO", "CLIP"]),
    harness("gemma", ["ModelIO", "CLIP"]),
    harness("outbox", ["Alerts"]),
    harness("picture", ["Core", "Video"]),
    harness("api-query", ["Core", "History"]),
  ]
)
