import ConfigValues
import Foundation
import Testing

@testable import DeploymentConfiguration

/// Numbers too large for the proxy's integers are an error sentence at their key path, never a
/// trap: the configuration file is outside input like any other.
@Suite struct ConfigurationOverflowTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var yaml: String
        var keyPath: String
        var message: String
        var testDescription: String { yaml }
    }

    static let cases: [Case] = [
        .init(yaml: "upstream:\n  connect_timeout: 99999999999999999h\n", keyPath: "upstream.connect_timeout", message: "\"99999999999999999h\" is not a duration of at most 106751d"),
        .init(yaml: "upstream:\n  idle_connection_timeout: 99999999999999999999\n", keyPath: "upstream.idle_connection_timeout", message: "is not a duration of at most 106751d"),
        .init(yaml: "shutdown:\n  grace_period: .inf\n", keyPath: "shutdown.grace_period", message: "\"inf\" is not a duration such as"),
        .init(yaml: "ingest:\n  batch:\n    max_age: 106752d\n", keyPath: "ingest.batch.max_age", message: "is not a duration of at most 106751d"),
        .init(yaml: "client:\n  max_body_bytes: 9999999999999GiB\n", keyPath: "client.max_body_bytes", message: "\"9999999999999GiB\" is not a size of at most 8589934591GiB"),
        .init(yaml: "client:\n  max_body_bytes: 99999999999999999999\n", keyPath: "client.max_body_bytes", message: "is not a size of at most 8589934591GiB"),
        // Each fits an Int, but the decoder's limits add them up: main's 1TiB bound keeps the sum small.
        .init(yaml: "client:\n  max_header_bytes: 8000000000GiB\n", keyPath: "client.max_header_bytes", message: "is too large; use at most 1TiB"),
        .init(yaml: "client:\n  max_url_bytes: 8589934591GiB\n", keyPath: "client.max_url_bytes", message: "is too large; use at most 1TiB"),
        .init(yaml: "listen: 127.0.0.1:99999999999999999999\n", keyPath: "listen", message: "is not an address such as"),
        .init(yaml: "upstream:\n  url: http://127.0.0.1:99999999999999999999\n", keyPath: "upstream.url", message: "is not an address such as"),
        .init(yaml: "threads: 99999999999999999999\n", keyPath: "threads", message: "expected an integer"),
        .init(yaml: "client:\n  max_connections: 99999999999999999999\n", keyPath: "client.max_connections", message: "expected an integer"),
    ]

    @Test(arguments: cases)
    func overflowIsAnErrorAtItsKeyPath(_ testCase: Case) throws {
        let error = try #require(try ConfigurationLoaderTests.error(testCase.yaml))
        #expect(error.keyPath == testCase.keyPath)
        #expect(error.message.contains(testCase.message), "\(error)")
        #expect(error.source?.hasPrefix("FILE:") == true, "\(error)")
    }

    @Test func theLargestHeadLimitsLoad() throws {
        let configuration = try ConfigurationLoaderTests.load("client:\n  max_header_bytes: 1024GiB\n  max_url_bytes: 1024GiB\n")
        #expect(configuration.client.maxHeaderBytes.bytes == 1 << 40)
    }
}
