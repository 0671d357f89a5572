import DeploymentConfiguration
import Foundation
import Testing

@testable import TrackingProxy

/// The command line's configuration options: precedence (flag > environment > file > default) as
/// `serve` and `config check` resolve it, and errors that name the flag.
@Suite struct ConfigurationOptionsTests {
    /// Writes `yaml` to a fresh file and returns its path.
    static func file(_ yaml: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("trackingproxy-test-\(UUID().uuidString).yaml")
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    struct PrecedenceCase: CustomTestStringConvertible, Sendable {
        var file: String?
        var environment: String?
        var flag: String?
        var expected: String
        var testDescription: String { "file \(file ?? "-") env \(environment ?? "-") flag \(flag ?? "-")" }
    }

    static let precedence: [PrecedenceCase] = [
        PrecedenceCase(expected: "127.0.0.1:8080"),
        PrecedenceCase(file: "127.0.0.1:1001", expected: "127.0.0.1:1001"),
        PrecedenceCase(file: "127.0.0.1:1001", environment: "127.0.0.1:1002", expected: "127.0.0.1:1002"),
        PrecedenceCase(file: "127.0.0.1:1001", environment: "127.0.0.1:1002", flag: "127.0.0.1:1003", expected: "127.0.0.1:1003"),
        PrecedenceCase(environment: "127.0.0.1:1002", flag: "127.0.0.1:1003", expected: "127.0.0.1:1003"),
        PrecedenceCase(file: "127.0.0.1:1001", flag: "127.0.0.1:1003", expected: "127.0.0.1:1003"),
    ]

    /// Through the command line options, where precedence is resolved for `serve` and `config check`.
    @Test(arguments: precedence)
    func flagBeatsEnvironmentBeatsFile(_ testCase: PrecedenceCase) throws {
        let path = try Self.file(testCase.file.map { "listen: \($0)\n" } ?? "")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let options = try ConfigurationOptions.parse(["--config", path] + (testCase.flag.map { ["--listen", $0] } ?? []))
        let environment = testCase.environment.map { ["TRACKINGPROXY_LISTEN": $0] } ?? [:]
        let configuration = try ConfigurationLoader<ProxyConfiguration>().load(
            path: options.config, overrides: options.overrides(environment: environment))
        #expect(configuration.listen.description == testCase.expected)
    }

    /// `log.format` from the file, `TRACKINGPROXY_LOG_FORMAT` and `--log-format`, in that order of strength.
    @Test(arguments: [
        ([String](), [String: String](), "text"),
        (["--log-format", "auto"], [:], "auto"),
        ([], ["TRACKINGPROXY_LOG_FORMAT": "json"], "json"),
        (["--log-format", "text"], ["TRACKINGPROXY_LOG_FORMAT": "json"], "text"),
    ])
    func logFormatFromFlagAndEnvironment(_ flags: [String], _ environment: [String: String], _ expected: String) throws {
        let options = try ConfigurationOptions.parse(flags)
        let configuration = try ConfigurationLoader<ProxyConfiguration>().load(yaml: "log:\n  format: text\n", fileName: nil, overrides: options.overrides(environment: environment))
        #expect(configuration.log.format == expected)
    }

    @Test func badFlagNamesTheFlag() throws {
        let options = try ConfigurationOptions.parse(["--upstream", "ftp://a"])
        var caught: ConfigurationError?
        do {
            _ = try ConfigurationLoader<ProxyConfiguration>().load(yaml: "", fileName: nil, overrides: options.overrides(environment: [:]))
        } catch {
            caught = error
        }
        let error = try #require(caught)
        #expect(error.source == "flag --upstream")
        #expect(error.keyPath == "upstream.url")
    }
}

/// A flag's value is that exact string, whatever YAML syntax it holds (review of issue 10: a
/// conninfo with `"` or `\` was misread).
@Suite struct FlagQuotingTests {
    @Test(arguments: [
        #"host=db password='a"b\c' dbname=reports"#, "postgresql://u:p%40ss@h/db?x=1#frag", "key: value # not a comment", "tab\there",
    ])
    func databaseURLFlagIsTakenVerbatim(_ url: String) throws {
        let options = try ConfigurationOptions.parse(["--database-url", url])
        let configuration = try ConfigurationLoader<ProxyConfiguration>().load(yaml: nil, fileName: nil, overrides: options.overrides(environment: [:]))
        #expect(configuration.ingest.database.url?.value == url)
    }
}
