import ActivityRules
import Foundation
import NIOPosix

@testable import ProxyCore

/// A rules file in a fresh temporary directory, rewritten at will, removed with `remove()`.
struct RulesFixture {
    let directory: URL
    var path: String { directory.appendingPathComponent("rules.yaml").path }

    static let generateRule = """
        version: 1
        rules:
          - id: report-generate
            description: Records a report being generated.
            activity: generate_report
            match:
              methods: [POST]
              path: /api/v1/reports/{report_id}/generate/
            description_template: "Generated report {report_id}"
        """

    static let shareRule = """
        version: 1
        rules:
          - id: report-share
            description: Records a report being shared.
            activity: share_report
            match:
              methods: [POST]
              path: /api/v1/reports/{report_id}/share/
        """

    init(_ text: String = Self.generateRule) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("trackingproxy-rules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try write(text)
    }

    func write(_ text: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A policy reading this file, trusting 127.0.0.1 and taking the user from `X-Forwarded-User`.
    func policy() throws -> TrackingPolicy {
        var configuration = TrackingConfiguration()
        configuration.rulesFile = path
        configuration.trustedProxies = [IPNetwork("127.0.0.1/32")!]
        configuration.identity.sources = [IdentitySourceConfiguration(header: "X-Forwarded-User")]
        return try TrackingPolicy(configuration: configuration, tokenReaders: IgnoredBearerToken.factory)
    }

    /// A tracker with `policy()` whose activities collect in the returned watch.
    func recordingTracker() throws -> (ActivityTracker, Watch<[ActivityEnvelope]>) {
        let recorded = Watch<[ActivityEnvelope]>([], eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        let tracker = ActivityTracker(policy: try policy()) { envelope in recorded.update { $0.append(envelope) } }
        return (tracker, recorded)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
