import ConfigValues
import Foundation
import Testing

@testable import ActivityRules
@testable import Analytics
@testable import DeploymentConfiguration

/// Issue 13: `docs/configuration.md` documents every key of the configuration file, and no key the
/// file does not have.
///
/// The accepted keys come from the configuration types themselves, the way the loader finds them:
/// `ConfigurationLoader` accepts a key exactly when re-encoding the decoded configuration writes it.
/// So the known key paths are the leaves of a configuration encoded with every list holding one
/// fully set element (an identity source with every key, a token with a rate limit); a key added
/// to a type shows up here without touching this test, and a key of a list element the sample does
/// not set fails `theSampleSetsEveryKeyOfListElements`.
@Suite struct ConfigurationReferenceTests {
    /// The repository's `docs/configuration.md`, found from this file's path.
    static let referenceFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/configuration.md")

    /// A configuration whose lists each hold one element with every optional key set, so that
    /// encoding writes every key the loader can accept. Not a valid configuration (an identity
    /// source with every kind at once): only its keys matter.
    static var populated: ProxyConfiguration {
        var configuration = ProxyConfiguration()
        configuration.tracking.identity.sources = [
            IdentitySourceConfiguration(
                header: "X-Forwarded-User", jwtClaim: ["oid", "sub"], verify: true, hs256Secret: Secret(String(repeating: "s", count: 32)),
                jwksFile: "keys.json", jwksURL: "https://example.com/keys", issuer: ["https://example.com/"], audience: ["api://reports"],
                algorithms: ["RS256"], leeway: .seconds(60), jwksRefreshInterval: .seconds(3600), jwksMinRefreshInterval: .seconds(60),
                cacheSize: 10_000, responseHeader: "X-User-Id", strip: true)
        ]
        configuration.analytics.tokens = [
            .init(token: Secret("change-me-alice-token-0001"), role: .user, userID: "alice", rateLimit: RateLimit(requestsPerSecond: 1, burst: 5))
        ]
        return configuration
    }

    /// Every leaf key path of `configuration` as encoded: `a.b.c`, list elements as `list[].key`.
    static func keyPaths(of configuration: ProxyConfiguration) throws -> Set<String> {
        let data = try JSONEncoder().encode(configuration)
        var paths: Set<String> = []
        collect(try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]), path: "", into: &paths)
        return paths
    }

    private static func collect(_ value: Any, path: String, into paths: inout Set<String>) {
        if let object = value as? [String: Any] {
            for (key, child) in object { collect(child, path: path.isEmpty ? key : "\(path).\(key)", into: &paths) }
        } else if let list = value as? [Any], list.contains(where: { $0 is [String: Any] }) {
            for element in list { collect(element, path: "\(path)[]", into: &paths) }
        } else {
            paths.insert(path)  // a scalar, null, or a list of scalars
        }
    }

    /// The key paths in the first column of the reference's tables whose header starts `| key path |`.
    static func documentedKeyPaths(in text: String) -> [String] {
        var paths: [String] = []
        var inTable = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard line.hasPrefix("|") else {
                inTable = false
                continue
            }
            if line.hasPrefix("| key path |") {
                inTable = true
                continue
            }
            guard inTable, let firstCell = line.split(separator: "|", omittingEmptySubsequences: true).first else { continue }
            let cell = firstCell.trimmingCharacters(in: .whitespaces)
            guard cell.hasPrefix("`"), cell.hasSuffix("`"), cell.count > 2 else { continue }  // the |---| row
            paths.append(String(cell.dropFirst().dropLast()))
        }
        return paths
    }

    @Test func theSampleSetsEveryKeyOfListElements() throws {
        let paths = try Self.keyPaths(of: Self.populated)
        for key in IdentitySourceConfiguration.CodingKeys.allCases.map(\.rawValue) {
            #expect(paths.contains("tracking.identity.sources[].\(key)"), "the populated sample does not set identity source key \(key)")
        }
        for key in AnalyticsConfiguration.Token.CodingKeys.allCases.map(\.rawValue) where key != "rate_limit" {
            #expect(paths.contains("analytics.tokens[].\(key)"), "the populated sample does not set token key \(key)")
        }
        for key in RateLimit.CodingKeys.allCases.map(\.rawValue) {
            #expect(paths.contains("analytics.tokens[].rate_limit.\(key)"), "the populated sample does not set a token's rate_limit.\(key)")
        }
    }

    @Test func everyKeyIsDocumentedAndNoDocumentedKeyIsUnknown() throws {
        let text = try String(contentsOf: Self.referenceFile, encoding: .utf8)
        let documentedList = Self.documentedKeyPaths(in: text)
        let documented = Set(documentedList)
        let known = try Self.keyPaths(of: Self.populated)
        let duplicates = Dictionary(grouping: documentedList, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()

        #expect(!documentedList.isEmpty, "no `| key path |` table found in \(Self.referenceFile.path)")
        #expect(known.subtracting(documented).sorted() == [], "keys of the configuration types missing from docs/configuration.md")
        #expect(documented.subtracting(known).sorted() == [], "keys in docs/configuration.md that the configuration does not accept")
        #expect(duplicates == [], "keys documented twice in docs/configuration.md")
    }

    /// The derivation itself: a list of mappings is walked into, a list of scalars is one key.
    @Test func keyPathsFollowTheEncodedTree() throws {
        let paths = try Self.keyPaths(of: Self.populated)
        #expect(paths.contains("listen") && paths.contains("ingest.spool.dir") && paths.contains("tracking.trusted_proxies"))
        #expect(paths.contains("tracking.identity.sources[].jwks_url") && paths.contains("jobs.hourly_rollup.hours"))
        #expect(!paths.contains("ingest.spool") && !paths.contains("tracking.identity.sources"))
        #expect(!paths.contains("jobs.hourly_rollup.days"), "a job figure the job does not have is not a key")
    }
}
