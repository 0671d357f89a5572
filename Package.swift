// swift-tools-version:6.1
import PackageDescription
import Foundation

/// Fuzz builds (`make fuzz`, `scripts/fuzz.sh`) set `TRACKINGPROXY_FUZZ=1`: the package then adds one
/// libFuzzer executable per entry of `fuzzTargets` (sources in `Fuzz/<name>/`).
let fuzzing = ProcessInfo.processInfo.environment["TRACKINGPROXY_FUZZ"] == "1"

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// Benchmark executables (`Benchmarks/`) join the package only when asked for, as Hummingbird does,
/// so that `swift build` and `swift test` do not compile them: `TRACKINGPROXY_BENCHMARKS=1` (the
/// `bench/` scripts set it).
let benchmarks = ProcessInfo.processInfo.environment["TRACKINGPROXY_BENCHMARKS"] == "1"

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
]

let package = Package(
    name: "TrackingProxy",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ActivityRules", targets: ["ActivityRules"]),
        .library(name: "Ingest", targets: ["Ingest"]),
        .executable(name: "trackingproxy", targets: ["TrackingProxy"]),
    ],
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
        // Bearer token verification (JWS, JWK/JWKS) on swift-crypto; fetching JWKS documents over
        // HTTPS with the client Hummingbird's testing already puts in the graph.
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "4.5.2"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // Plain configuration values shared by every module: durations, byte sizes, addresses, secrets.
        // Yams only for `YAMLErrorText` (YAML errors without the text of the line, which may be a secret).
        .target(name: "ConfigValues", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: swiftSettings),
        // Rules, matching, client IP and identity. Imports no NIO, HTTP server or PostgreSQL; bearer
        // tokens are read through its `BearerTokenReader`, implemented by TokenVerification.
        .target(
            name: "ActivityRules",
            // swift-crypto for the rules file's SHA-256 (its `hash`); tokens are verified elsewhere.
            dependencies: ["ConfigValues", .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // Bearer tokens: verification with jwt-kit on swift-crypto (keys from a secret, a JWKS file or
        // a JWKS URL refreshed in the background), the verified-token cache, and the unverified
        // reader of `verify: false`. Implements ActivityRules' `BearerTokenReader`, so the rules
        // module stays free of BoringSSL.
        .target(
            name: "TokenVerification",
            dependencies: [
                "ActivityRules",
                "ConfigValues",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + nio,
            swiftSettings: swiftSettings
        ),
        // JSON text written by hand, fast, for the activity record's metadata and the analytics API.
        .target(name: "JSONWriting", swiftSettings: swiftSettings),
        // libpq, the PostgreSQL client library, from Debian's libpq-dev.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // zlib's crc32 for the spool's record checksums (Debian's zlib1g-dev).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // The PostgreSQL layer shared by the writer and the analytics side: the libpq session on its
        // own thread, the connection, COPY, the schema's migrations and partitions, the one error type.
        .target(
            name: "PostgreSQL",
            dependencies: ["CLibPQ", "ConfigValues", .product(name: "Logging", package: "swift-log")] + nio,
            swiftSettings: swiftSettings
        ),
        // The activity record, the queue, batching, the spool and the writer. Never sees an HTTP type.
        .target(
            name: "Ingest",
            dependencies: [
                "ConfigValues",
                "CZlib",
                "JSONWriting",
                "PostgreSQL",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + nio,
            swiftSettings: swiftSettings
        ),
        // The analytics service's library: queries, rollups, retention, the HTTP API and dashboard.
        // Reads what Ingest writes, through the PostgreSQL layer; never linked into the sidecar.
        .target(
            name: "Analytics",
            dependencies: [
                "ConfigValues",
                "JSONWriting",
                "PostgreSQL",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                // The weekly report's webhook POST (already in the graph through TokenVerification).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // SHA-256 of analytics tokens: only digests are kept and compared (TokenDigest).
                .product(name: "Crypto", package: "swift-crypto"),
            ] + nio,
            // The API's OpenAPI document (docs/openapi.yaml links here), compiled into the binary
            // and served at /openapi.json: no resource bundle to ship next to the executable.
            resources: [.embedInCode("Resources/openapi.yaml")],
            swiftSettings: swiftSettings
        ),
        // The sidecar's library: the NIO proxy data path, tracking glue, the admin listener, and the
        // one function that builds the sidecar's services from a configuration.
        .target(
            name: "ProxyCore",
            dependencies: [
                "ConfigValues",
                "ActivityRules",
                "TokenVerification",
                "Ingest",
                "JSONWriting",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
            ] + nio,
            swiftSettings: swiftSettings
        ),
        // The configuration file: the root both processes read, composed of each library's sections,
        // and the one loader (YAML, environment, flags; unknown keys are errors). Values only.
        .target(
            name: "DeploymentConfiguration",
            dependencies: [
                "ConfigValues", "ActivityRules", "Ingest", "ProxyCore", "Analytics", "JSONWriting", .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // `trackingproxy doctor`: checks a deployment (configuration, rules, PostgreSQL, schema,
        // partitions, spool, upstream, tokens, jobs, heartbeats) and says what to do; `--fix` migrates.
        .target(
            name: "Doctor",
            dependencies: [
                "ConfigValues", "ActivityRules", "Ingest", "PostgreSQL", "Analytics", "ProxyCore", "DeploymentConfiguration", "JSONWriting",
                .product(name: "Logging", package: "swift-log"),
            ] + nio,
            swiftSettings: swiftSettings
        ),
        // The executable: the command line and the wiring of the libraries above, nothing else.
        .executableTarget(
            name: "TrackingProxy",
            dependencies: [
                "ConfigValues",
                "ActivityRules",
                "Ingest",
                "PostgreSQL",
                "DeploymentConfiguration",
                "Analytics",
                "ProxyCore",
                "Doctor",
                "JSONWriting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ] + nio,
            // No `unsafeFlags` here or on any library: a package depending on a version of ours
            // could not use them. Release builds get `-enforce-exclusivity=unchecked` from
            // scripts/release-build.sh.
            swiftSettings: swiftSettings,
            // `--version` names the commit: the plugin writes it into a generated file under .build.
            plugins: ["BuildCommit"]
        ),
        // Writes `BuildCommit.swift` (the commit being built) before each build of the executable.
        .plugin(name: "BuildCommit", capability: .buildTool(), path: "Plugins/BuildCommit"),
        .testTarget(name: "ConfigValuesTests", dependencies: ["ConfigValues"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ActivityRulesTests",
            dependencies: ["ActivityRules", "ConfigValues"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IngestTests",
            dependencies: [
                "Ingest",
                "PostgreSQL",
                // HeartbeatTests read the writer's heartbeat rows the way system-health does.
                "Analytics",
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
                "Analytics",
                "JSONWriting",
                "ProxyCore",
                "Ingest",
                "PostgreSQL",
                "DeploymentConfiguration",
                "ConfigValues",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + nio,
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProxyCoreTests",
            dependencies: [
                "ProxyCore",
                "ActivityRules",
                "TokenVerification",
                "TokenTestSupport",
                "Ingest",
                "ConfigValues",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ] + nio,
            swiftSettings: swiftSettings
        ),
        // What the token tests share: real keys generated per run (RSA with _CryptoExtras, P-256),
        // tokens signed by jwt-kit (and forged ones), a JWKS document served over HTTP by a local
        // Hummingbird server. Linked by test targets only.
        .target(
            name: "TokenTestSupport",
            dependencies: [
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ] + nio,
            path: "Tests/TokenTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TokenVerificationTests",
            dependencies: [
                "TokenVerification",
                "TokenTestSupport",
                "ActivityRules",
                "ConfigValues",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + nio,
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DeploymentConfigurationTests",
            dependencies: ["DeploymentConfiguration", "ProxyCore", "Analytics", "ConfigValues", "ActivityRules", "Ingest"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DoctorTests",
            dependencies: [
                "Doctor", "DeploymentConfiguration", "Analytics", "PostgreSQL", "Ingest", "ConfigValues",
                .product(name: "Logging", package: "swift-log"),
            ] + nio,
            swiftSettings: swiftSettings
        ),
        // The executable's commands and options, parsed as a user types them.
        .testTarget(
            name: "TrackingProxyTests",
            dependencies: [
                "TrackingProxy", "DeploymentConfiguration", "ConfigValues",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

/// What the writer's command-line tools (`ingest-bench`, `ingest-load`) link.
let ingestToolDependencies: [Target.Dependency] = [
    "Ingest",
    "PostgreSQL",
    "ConfigValues",
    .product(name: "Logging", package: "swift-log"),
    .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
]

if benchmarks {
    package.targets += [
        // Microseconds per bearer token: first verification and cached lookup, RS256 and ES256.
        .executableTarget(
            name: "identity-bench",
            dependencies: ["TokenVerification", "TokenTestSupport", "ActivityRules"],
            path: "Benchmarks/IdentityBench", swiftSettings: swiftSettings),
        // Nanoseconds per rule match and per client IP resolution: `rules-bench`.
        .executableTarget(name: "rules-bench", dependencies: ["ActivityRules"], path: "Benchmarks/RulesBench", swiftSettings: swiftSettings),
        // Rows stored through the writer at a steady rate from a process of its own, for
        // bench/tracking.sh: what storing costs when tracking is free.
        .executableTarget(name: "ingest-load", dependencies: ingestToolDependencies, path: "Benchmarks/IngestLoad", swiftSettings: swiftSettings),
        // Nanoseconds of tracking work per request (event loop and writer threads), no sockets.
        .executableTarget(
            name: "tracking-bench",
            dependencies: ingestToolDependencies + [
                "ProxyCore", "ActivityRules", .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Benchmarks/TrackingBench", swiftSettings: swiftSettings),
        // The least a SwiftNIO proxy does per request (HTTP codecs only, or bytes only), measured
        // next to nginx and trackingproxy by bench/proxy.sh.
        .executableTarget(
            name: "proxy-floor-bench",
            dependencies: nio + [.product(name: "NIOHTTP1", package: "swift-nio")],
            path: "Benchmarks/ProxyFloorBench", swiftSettings: swiftSettings),
        // Writer rows/s against `psql \copy` (binary) of the same rows: `ingest-bench`.
        .executableTarget(name: "ingest-bench", dependencies: ingestToolDependencies, path: "Benchmarks/IngestBench", swiftSettings: swiftSettings),
    ]
}

/// libFuzzer targets: name → what it links. Each is built from `Fuzz/<name>/` only in fuzz builds
/// (`-sanitize=fuzzer,address`), its seed corpus is `Tests/Fuzz/Corpus/<name>/` and the inputs that
/// once crashed it are `Tests/Fuzz/Crashes/<name>/`; `make test` replays both, `make fuzz` fuzzes.
let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
    ("fuzz-request-path", ["ProxyCore", "ActivityRules", "TokenVerification", "Ingest", "ConfigValues",
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOEmbedded", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log")]),
    ("fuzz-analytics-query", ["Analytics", "PostgreSQL", .product(name: "Hummingbird", package: "hummingbird")]),
    ("fuzz-spool-segment", ["Ingest"]),
    ("fuzz-row-values", ["Ingest", .product(name: "NIOCore", package: "swift-nio")]),
    ("fuzz-forwarded-for", ["ActivityRules"]),
    ("fuzz-jwt", ["TokenVerification", "ActivityRules", "ConfigValues"]),
    ("fuzz-description-template", ["ActivityRules"]),
    ("fuzz-rules-file", ["ActivityRules", "ConfigValues"]),
    ("fuzz-config-file", ["DeploymentConfiguration", "ProxyCore", "Analytics", "ActivityRules", "Ingest", "ConfigValues"]),
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
