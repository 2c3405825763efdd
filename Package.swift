// swift-tools-version: 6.2
// monitor: text-prompted video alerting daemon for edge boxes.
// Module map and dependency direction: docs/ARCHITECTURE.md ("Modules").
import PackageDescription

/// Every target of ours fails the build on any warning.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]
/// The model maths is optimised in debug builds too: the test suite runs full-size
/// towers (a random ViT-B/32 in fp32 and int8), which unoptimised Swift makes ten times slower.
let maths: [SwiftSetting] = strict + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
  name: "monitor",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "monitor", targets: ["monitor"]),
    // For the benchmarks package (Benchmarks/), which scripts/test does not build.
    .library(
      name: "MonitorLibraries",
      targets: [
        "Core", "TOML", "Config", "Tensor", "ModelIO", "CLIP", "Mamba", "Rules", "Video", "Alerts", "History",
        "HTTPAPI", "MonitorKit",
      ]),
    // For the fuzz package (Fuzz/): each harness links only the leaf module it fuzzes.
    .library(name: "Core", targets: ["Core"]),
    .library(name: "TOML", targets: ["TOML"]),
    .library(name: "Config", targets: ["Config"]),
    .library(name: "Rules", targets: ["Rules"]),
    .library(name: "ModelIO", targets: ["ModelIO"]),
    .library(name: "CLIP", targets: ["CLIP"]),
    .library(name: "Video", targets: ["Video"]),
    .library(name: "Alerts", targets: ["Alerts"]),
    .library(name: "History", targets: ["History"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    // `monitor run` as a group of services with ordered shutdown and signals
    // (measured to deliver SIGTERM/SIGHUP with OpenBLAS's pre-main threads:
    // docs/ARCHITECTURE.md, "Lifecycle"), and the log through swift-log.
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    // The event history: SQLite through GRDB (migrations, WAL pools, records).
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    // The HTTP API (Hummingbird) and its /metrics: the daemon counts through the
    // swift-metrics facade, swift-prometheus renders the text format.
    // Without its default traits: swift-configuration support and full Foundation are not needed here.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
  ],
  targets: [
    // System-library shims: modulemap + prefixed inline wrappers for what Swift cannot import.
    .systemLibrary(
      name: "CFFmpeg", pkgConfig: "libavformat libavcodec libavdevice libavutil libswscale",
      providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavdevice-dev", "libavutil-dev", "libswscale-dev"])]),
    .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto", providers: [.apt(["libmosquitto-dev"])]),

    // The default model (models/synthetic) linked into the binary: `monitor` works with no model configured.
    .target(
      name: "CEmbeddedModel",
      cSettings: [.define("MONITOR_MODEL_DIR", to: "\"\(Context.packageDirectory)/models/synthetic\"")]),

    // Pure value types and protocols shared by every module; input bounds.
    .target(name: "Core", swiftSettings: strict),
    // The strict TOML reader for configuration and rule files (our own: every
    // semantic error must name file:line, and the subset is small).
    .target(name: "TOML", dependencies: ["Core"], swiftSettings: strict),
    // Packed-weight GEMM microkernel (AVX2+FMA, chosen at run time) for small-row inference GEMMs.
    .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
    // Float storage, GEMM through OpenBLAS, vectorised elementwise kernels, naive references.
    .target(name: "Tensor", dependencies: ["COpenBLAS", "CKernels"], swiftSettings: maths),
    // safetensors (mmap, validation, F16/BF16 widening) and model config decoding.
    .target(name: "ModelIO", dependencies: ["Core", "Tensor"], swiftSettings: strict),
    // Selective SSM block, per-stream recurrent state, temporal adapter, training-free pooling.
    .target(name: "Mamba", dependencies: ["Core", "Tensor", "ModelIO"], swiftSettings: strict),
    // CLIP: BPE tokenizer, preprocessing, ViT image and text towers, projections.
    .target(name: "CLIP", dependencies: ["Core", "Tensor", "ModelIO"], swiftSettings: maths),
    // Rules: model and validation, calibrated matcher, episode/cooldown state machine.
    .target(name: "Rules", dependencies: ["Core", "TOML"], swiftSettings: strict),
    // Frame sources, decode, sampling, motion gate, JPEG, reconnect.
    .target(name: "Video", dependencies: ["Core", "CFFmpeg"], swiftSettings: strict),
    // The configuration file (monitor.toml): strict reading and cross-field checks. A leaf of its
    // own so the fuzz harness (Fuzz/) reaches it without the daemon.
    .target(name: "Config", dependencies: ["Core", "TOML", "Rules", "Video"], swiftSettings: strict),
    // Alerts: libmosquitto publisher, topics, payloads, on-disk outbox, Home Assistant discovery.
    .target(name: "Alerts", dependencies: ["Core", "CMosquitto"], swiftSettings: strict),
    // The event history: episodes in SQLite (GRDB) with their snapshots, retention, queries.
    .target(
      name: "History", dependencies: ["Core", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: strict),
    // The HTTP API: health, Prometheus metrics, the event history and snapshots; bearer tokens.
    .target(
      name: "HTTPAPI",
      dependencies: [
        "Core", "History", .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdCore", package: "hummingbird"), .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "CoreMetrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
      ],
      swiftSettings: strict),
    // The daemon: configuration, rule store, per-camera pipeline, inference workers.
    .target(
      name: "MonitorKit",
      dependencies: [
        "Core", "TOML", "Config", "Video", "CLIP", "Mamba", "Rules", "ModelIO", "Tensor", "Alerts", "History",
        "HTTPAPI", "CEmbeddedModel", .product(name: "CoreMetrics", package: "swift-metrics"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strict),
    // Test doubles and helpers that drive real processes (RTSP server, ffmpeg CLI).
    .target(name: "TestSupport", dependencies: ["Core"], swiftSettings: strict),

    .executableTarget(
      name: "monitor",
      // MonitorKit alone (scripts/check-imports enforces it): commands parse and print.
      dependencies: ["MonitorKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
      swiftSettings: strict),

    .testTarget(name: "CoreTests", dependencies: ["Core"], swiftSettings: strict),
    .testTarget(name: "TOMLTests", dependencies: ["TOML", "Core"], swiftSettings: strict),
    .testTarget(name: "VideoTests", dependencies: ["Core", "Video", "TestSupport"], swiftSettings: strict),
    .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"], swiftSettings: strict),
    .testTarget(name: "ModelIOTests", dependencies: ["ModelIO", "Tensor", "TestSupport"], swiftSettings: strict),
    .testTarget(
      name: "MambaTests", dependencies: ["Mamba", "ModelIO", "Tensor", "TestSupport"],
      swiftSettings: strict),
    .testTarget(
      name: "CLIPTests", dependencies: ["CLIP", "Core", "ModelIO", "Tensor", "TestSupport"], swiftSettings: strict),
    .testTarget(name: "RulesTests", dependencies: ["Rules", "Core", "TestSupport"], swiftSettings: strict),
    .testTarget(
      name: "MonitorKitTests",
      dependencies: [
        "MonitorKit", "Alerts", "Core", "History", "Mamba", "Rules", "Video", "ModelIO", "Tensor", "TestSupport",
      ],
      swiftSettings: strict),
    .testTarget(
      name: "HistoryTests", dependencies: ["History", "Core", "ModelIO", "TestSupport"], swiftSettings: strict),
    .testTarget(
      name: "HTTPAPITests",
      dependencies: [
        "HTTPAPI", "History", "Core", "TestSupport", .product(name: "CoreMetrics", package: "swift-metrics"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ],
      swiftSettings: strict),
    .testTarget(name: "AlertsTests", dependencies: ["Alerts", "Core", "TestSupport"], swiftSettings: strict),
    .testTarget(name: "CShimTests", dependencies: ["CFFmpeg", "COpenBLAS", "CMosquitto"], swiftSettings: strict),
  ]
)
