// swift-tools-version:6.1
import PackageDescription
import Foundation

/// Fuzz builds (`make fuzz`, `scripts/fuzz.sh`) set `TRACKINGPROXY_FUZZ=1`: the package then adds one
/// libFuzzer executable per entry of `fuzzTargets` (sources in `Fuzz/<name>/`) and builds the
/// `TrackingProxy` module as a library, so those executables can link the proxy's own code.
let fuzzing = ProcessInfo.processInfo.environment["TRACKINGPROXY_FUZZ"] == "1"

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// What the writer's command-line tools (`ingest-bench`, `ingest-load`) link.
let ingestToolDependencies: [Target.Dependency] = [
    "Ingest",
    "ConfigValues",
    .product(name: "Logging", package: "swift-log"),
    .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
]

let package = Package(
    name: "TrackingProxy",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ActivityRules", targets: ["ActivityRules"]),
        .library(name: "Ingest", targets: ["Ingest"]),
    ] + (fuzzing ? [] : [.executable(name: "trackingproxy", targets: ["TrackingProxy"])]),
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // Plain configuration values shared by every module: durations, byte sizes, addresses, secrets.
        .target(name: "ConfigValues", swiftSettings: swiftSettings),
        // Rules, matching, client IP and identity. Imports no NIO, HTTP server or PostgreSQL.
        .target(
            name: "ActivityRules",
            dependencies: [
                "ConfigValues",
                .product(name: "Yams", package: "Yams"),
            ],
            // Run-time exclusivity checks cost ~2% of the proxy's CPU per request in our own code
            // (measured with perf). Debug builds, which run the tests, keep them; release builds rely
            // on them having passed there. scripts/release-build.sh turns them off in the
            // dependencies too (another ~6%).
            swiftSettings: swiftSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // libpq, the PostgreSQL client library, from Debian's libpq-dev.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // The activity record, the queue, batching, the spool and PostgreSQL. Never sees an HTTP type.
        .target(
            name: "Ingest",
            dependencies: [
                "ConfigValues",
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The executable: command line, configuration, the NIO proxy data path and the admin listener.
        trackingProxyTarget(
            dependencies: [
                "ConfigValues",
                "ActivityRules",
                "Ingest",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(name: "ConfigValuesTests", dependencies: ["ConfigValues"], swiftSettings: swiftSettings),
        // Nanoseconds per rule match and per client IP resolution: `swift run -c release rules-bench`.
        .executableTarget(
            name: "rules-bench",
            dependencies: ["ActivityRules"],
            path: "Sources/RulesBench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ActivityRulesTests",
            dependencies: ["ActivityRules", "ConfigValues"],
            swiftSettings: swiftSettings
        ),
        // Rows stored through the writer at a steady rate from a process of its own, for
        // bench/tracking.sh: what storing costs when tracking is free.
        .executableTarget(
            name: "ingest-load",
            dependencies: ingestToolDependencies,
            path: "Sources/IngestLoad",
            swiftSettings: swiftSettings
        ),
        // The least a SwiftNIO proxy does per request (HTTP codecs only, or bytes only), measured
        // next to nginx and trackingproxy by bench/proxy.sh.
        .executableTarget(
            name: "proxy-floor-bench",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/ProxyFloorBench",
            swiftSettings: swiftSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // Writer rows/s against `psql \copy` (binary) of the same rows: `swift run -c release ingest-bench`.
        .executableTarget(
            name: "ingest-bench",
            dependencies: ingestToolDependencies,
            path: "Sources/IngestBench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IngestTests",
            dependencies: [
                "Ingest",
                "ConfigValues",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AnalyticsTests",
            dependencies: [
                "TrackingProxy",
                "Ingest",
                "ConfigValues",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TrackingProxyTests",
            dependencies: [
                "TrackingProxy",
                "ActivityRules",
                "Ingest",
                "ConfigValues",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

/// The `TrackingProxy` module: an executable, or a library in fuzz builds.
func trackingProxyTarget(dependencies: [Target.Dependency]) -> Target {
    if fuzzing {
        return .target(
            name: "TrackingProxy",
            dependencies: dependencies,
            swiftSettings: swiftSettings + [.define("TRACKINGPROXY_LIBRARY")]
        )
    }
    return .executableTarget(
        name: "TrackingProxy",
        dependencies: dependencies,
        // Run-time exclusivity checks cost ~2% of the proxy's CPU per request in our own code
        // (measured with perf). Debug builds, which run the tests, keep them; release builds rely
        // on them having passed there. scripts/release-build.sh turns them off in the
        // dependencies too (another ~6%).
        swiftSettings: swiftSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
    )
}

/// libFuzzer targets: name → what it links. Each is built from `Fuzz/<name>/` only in fuzz builds
/// (`-sanitize=fuzzer,address`), its seed corpus is `Tests/Fuzz/Corpus/<name>/` and the inputs that
/// once crashed it are `Tests/Fuzz/Crashes/<name>/`; `make test` replays both, `make fuzz` fuzzes.
let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
    ("fuzz-request-path", ["TrackingProxy", "ActivityRules", "Ingest", "ConfigValues",
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOEmbedded", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log")]),
    ("fuzz-analytics-query", ["TrackingProxy", "Ingest", .product(name: "Hummingbird", package: "hummingbird")]),
    ("fuzz-spool-segment", ["Ingest"]),
    ("fuzz-forwarded-for", ["ActivityRules"]),
    ("fuzz-jwt", ["ActivityRules"]),
    ("fuzz-description-template", ["ActivityRules"]),
    ("fuzz-rules-file", ["ActivityRules"]),
    ("fuzz-config-file", ["TrackingProxy", "ActivityRules", "Ingest", "ConfigValues"]),
]

if fuzzing {
    package.targets.append(.target(name: "FuzzDriver", path: "Fuzz/FuzzDriver", swiftSettings: swiftSettings))
    for target in fuzzTargets {
        package.targets.append(.executableTarget(
            name: target.name,
            dependencies: ["FuzzDriver"] + target.dependencies,
            path: "Fuzz/\(target.name)",
            swiftSettings: swiftSettings
        ))
    }
}
