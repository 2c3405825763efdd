// swift-tools-version: 6.2
// monitor's benchmarks: a package of their own, so `scripts/test` (and CI) never
// builds them. Each Benchmarks/bench-* script builds this package in release mode
// and compares monitor with a peer measured in the same run (docs/BENCHMARKS.md).
import PackageDescription

/// SwiftPM names a path dependency after its folder, whatever the clone is called.
let monitorPackage = Context.packageDirectory.split(separator: "/").dropLast().last.map { $0.lowercased() } ?? "monitor"

let package = Package(
  name: "monitor-benchmarks",
  platforms: [.macOS(.v15)],
  dependencies: [
    .package(path: ".."),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
  ],
  targets: [
    // Peak multiply-accumulate rates of this CPU (FMA, int8), the yardstick of bench-clip.
    .target(name: "CPeak", cSettings: [.unsafeFlags(["-O2"])]),
    .executableTarget(
      name: "monitor-bench",
      dependencies: [
        "CPeak",
        .product(name: "MonitorLibraries", package: monitorPackage),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: [.treatAllWarnings(as: .error)]),
  ]
)
