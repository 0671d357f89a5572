import ConfigValues
import Foundation
import Testing

@testable import DeploymentConfiguration
@testable import ProxyCore

/// `ConfigurationLoader`: unknown keys, bad values with their key path and source, and precedence
/// (flag > environment > file > default).
@Suite struct ConfigurationLoaderTests {
    /// Writes `yaml` to a fresh file and returns its path.
    static func file(_ yaml: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("trackingproxy-test-\(UUID().uuidString).yaml")
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static func load(_ yaml: String, overrides: [ConfigurationOverride] = []) throws -> ProxyConfiguration {
        let path = try file(yaml)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try ConfigurationLoader<ProxyConfiguration>().load(path: path, overrides: overrides)
    }

    /// The error loading `yaml` gives, with the temporary path replaced by `FILE`.
    static func error(_ yaml: String, overrides: [ConfigurationOverride] = []) throws -> ConfigurationError? {
        let path = try file(yaml)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try ConfigurationLoader<ProxyConfiguration>().load(path: path, overrides: overrides)
            return nil
        } catch {
            var error = error
            error.source = error.source?.replacingOccurrences(of: path, with: "FILE")
            return error
        }
    }

    struct UnknownKeyCase: CustomTestStringConvertible, Sendable {
        var yaml: String
        var keyPath: String
        var source: String
        var allowed: String
        var testDescription: String { keyPath }
    }

    /// The keys a section allows, as the error lists them: sorted, comma-separated.
    static func allowed<Key: CodingKey & CaseIterable>(_: Key.Type) -> String {
        Key.allCases.map(\.stringValue).sorted().joined(separator: ", ")
    }

    static let unknownKeys: [UnknownKeyCase] = [
        UnknownKeyCase(
            yaml: "listen: 127.0.0.1:1\nlisten_port: 80\n", keyPath: "listen_port", source: "FILE:2:1",
            allowed: allowed(ProxyConfiguration.CodingKeys.self)),
        UnknownKeyCase(
            yaml: "client:\n  max_header_byte: 1KiB\n", keyPath: "client.max_header_byte", source: "FILE:2:3",
            allowed: allowed(ClientConfiguration.CodingKeys.self)),
        UnknownKeyCase(
            yaml: "upstream:\n  url: http://a:1\n  rewrite: true\n", keyPath: "upstream.rewrite", source: "FILE:3:3",
            allowed: allowed(UpstreamConfiguration.CodingKeys.self)),
    ]

    @Test(arguments: unknownKeys)
    func unknownKeyIsNamedWithWhatIsAllowed(_ testCase: UnknownKeyCase) throws {
        let error = try #require(try Self.error(testCase.yaml))
        #expect(error.keyPath == testCase.keyPath)
        #expect(error.source == testCase.source)
        #expect(error.description == "\(testCase.source): \(testCase.keyPath): unknown key; allowed here: \(testCase.allowed)")
    }

    struct BadValueCase: CustomTestStringConvertible, Sendable {
        var yaml: String
        var keyPath: String
        var message: String
        var testDescription: String { keyPath }
    }

    static let badValues: [BadValueCase] = [
        BadValueCase(
            yaml: "upstream:\n  response_head_timeout: 5 parsecs\n", keyPath: "upstream.response_head_timeout",
            message: #""5 parsecs" is not a duration such as "250ms""#),
        BadValueCase(yaml: "client:\n  idle_timeout: -1s\n", keyPath: "client.idle_timeout", message: "is not a duration"),
        BadValueCase(yaml: "client:\n  max_header_bytes: lots\n", keyPath: "client.max_header_bytes", message: #""lots" is not a size such as "512""#),
        BadValueCase(yaml: "client:\n  max_body_bytes: 12 parsecs\n", keyPath: "client.max_body_bytes", message: "is not a size"),
        BadValueCase(yaml: "client:\n  max_header_bytes: 10\n", keyPath: "client.max_header_bytes", message: "at least 1KiB"),
        BadValueCase(yaml: "listen: nowhere\n", keyPath: "listen", message: #"is not an address such as "127.0.0.1:8080""#),
        BadValueCase(yaml: "upstream:\n  url: https://a:1\n", keyPath: "upstream.url", message: "TLS to the upstream is not supported"),
        BadValueCase(yaml: "threads: 999\n", keyPath: "threads", message: "out of range"),
        BadValueCase(yaml: "threads: many\n", keyPath: "threads", message: "expected an integer"),
        BadValueCase(yaml: "log:\n  level: loud\n", keyPath: "log.level", message: "use one of trace, debug"),
        BadValueCase(yaml: "log:\n  format: xml\n", keyPath: "log.format", message: "use one of text, json, auto"),
    ]

    @Test(arguments: badValues)
    func badValueIsReportedWithItsKeyPath(_ testCase: BadValueCase) throws {
        let error = try #require(try Self.error(testCase.yaml))
        #expect(error.keyPath == testCase.keyPath)
        #expect(error.source?.hasPrefix("FILE:") == true)
        #expect(error.message.contains(testCase.message), "\(error.message)")
    }

    @Test func emptyFileGivesTheDefaults() throws {
        #expect(try Self.load("") == ProxyConfiguration())
    }

    static let topLevelKeys = Set(ProxyConfiguration.CodingKeys.allCases.map(\.rawValue))

    @Test func environmentOverridesTheFile() throws {
        let environment = ["TRACKINGPROXY_CLIENT__MAX_HEADER_BYTES": "64KiB", "TRACKINGPROXY_UPSTREAM": "http://10.0.0.2:9000", "OTHER": "x"]
        let overrides = ConfigurationOverride.fromEnvironment(environment, topLevelKeys: Self.topLevelKeys)
        let configuration = try Self.load("client:\n  max_header_bytes: 16KiB\n  max_url_bytes: 4KiB\n", overrides: overrides)
        #expect(configuration.client.maxHeaderBytes == .kibibytes(64))
        #expect(configuration.client.maxURLBytes == .kibibytes(4))
        #expect(configuration.upstream.url == UpstreamURL(host: "10.0.0.2", port: 9000))
    }

    @Test func badEnvironmentValueNamesTheVariable() throws {
        let environment = ["TRACKINGPROXY_CLIENT__REQUEST_HEAD_TIMEOUT": "soon"]
        let overrides = ConfigurationOverride.fromEnvironment(environment, topLevelKeys: Self.topLevelKeys)
        let error = try #require(try Self.error("", overrides: overrides))
        #expect(error.source == "environment variable TRACKINGPROXY_CLIENT__REQUEST_HEAD_TIMEOUT")
        #expect(error.keyPath == "client.request_head_timeout")
    }

    @Test func unknownEnvironmentKeyNamesTheVariable() throws {
        let overrides = ConfigurationOverride.fromEnvironment(["TRACKINGPROXY_CLIENT__MAX_HEADERS": "1"], topLevelKeys: Self.topLevelKeys)
        let error = try #require(try Self.error("", overrides: overrides))
        #expect(error.source == "environment variable TRACKINGPROXY_CLIENT__MAX_HEADERS")
        #expect(error.keyPath == "client.max_headers")
    }
}

/// Issue 10: one way to validate. Every section's `problems()` is reported by the loader at the
/// key's position in the file, or at the flag or variable that set it.
@Suite struct ConfigurationProblemLocationTests {
    @Test(arguments: [
        ("ingest:\n  batch:\n    size: 0\n", "ingest.batch.size", ":3:11"),
        ("client:\n  max_connections: 0\n", "client.max_connections", ":2:20"),
        ("admin:\n  max_connections: 0\n", "admin.max_connections", ":2:20"),
        ("analytics:\n  idle_timeout: 10ms\n", "analytics.idle_timeout", ":2:17"),
        ("analytics:\n  tokens:\n    - {token: short, role: admin}\n", "analytics.tokens[0].token", ":3:15"),
        ("retention:\n  days: 0\n", "retention.days", ":2:9"),
        ("tracking:\n  identity:\n    sources:\n      - {header: X-User, strip: true}\n", "tracking.identity.sources[0].strip", ":4:33"),
        ("threads: 1000\n", "threads", ":1:10"),
        ("log:\n  level: loud\n", "log.level", ":2:10"),
    ])
    func problemIsReportedAtItsKey(yaml: String, keyPath: String, position: String) throws {
        let error = try #require(try ConfigurationLoaderTests.error(yaml))
        #expect(error.keyPath == keyPath)
        #expect(error.source?.hasSuffix(position) == true, "\(error)")
    }

    @Test func problemFromAFlagNamesTheFlag() throws {
        let override = ConfigurationOverride(keyPath: ["ingest", "batch", "size"], yaml: "0", source: "flag --batch-size")
        let error = try #require(try ConfigurationLoaderTests.error("", overrides: [override]))
        #expect(error.source == "flag --batch-size" && error.keyPath == "ingest.batch.size")
    }
}
