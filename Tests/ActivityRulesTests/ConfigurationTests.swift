import Foundation
import Testing
import Yams
@testable import ActivityRules

@Suite struct ConfigurationTests {
    static let full = """
    rules_file: rules/custom.yaml
    trusted_proxies: [10.0.0.0/8, "::1"]
    client_ip: {sources: [forwarded, x_forwarded_for]}
    identity:
      sources:
        - header: X-Forwarded-User
        - {jwt_claim: oid, hs256_secret: topsecret-topsecret-topsecret-32, leeway: 30s}
        - {jwt_claim: sub, jwks_file: keys.json, algorithms: [ES256], cache_size: 100}
        - jwt_claim: [oid, sub]
          jwks_url: https://login.microsoftonline.com/t/discovery/v2.0/keys
          issuer: https://login.microsoftonline.com/t/v2.0
          audience: [api://reports, 11111111-2222-3333-4444-555555555555]
          jwks_refresh_interval: 30m
          jwks_min_refresh_interval: 10s
        - {jwt_claim: upn, verify: false}
        - {response_header: X-User-Id, strip: false}
    privacy: {redact_query: [token], user_agent_max: 100, truncate_ipv4_prefix: 24, truncate_ipv6_prefix: null}
    """

    static func keyPaths(_ value: Any, _ prefix: String = "") -> Set<String> {
        var result = Set<String>()
        if let dictionary = value as? [String: Any] {
            for (key, child) in dictionary {
                result.insert(prefix + key)
                result.formUnion(keyPaths(child, prefix + key + "."))
            }
        } else if let array = value as? [Any] {
            for (index, child) in array.enumerated() { result.formUnion(keyPaths(child, prefix + "\(index).")) }
        }
        return result
    }

    @Test func decodesAndReEncodesEveryKeyWithSecretsRedacted() throws {
        let configuration = try YAMLDecoder().decode(TrackingConfiguration.self, from: Self.full)
        #expect(configuration.rulesFile == "rules/custom.yaml")
        #expect(configuration.trustedProxies.map(\.description) == ["10.0.0.0/8", "::1/128"])
        #expect(configuration.clientIP.sources == [.forwarded, .xForwardedFor])
        #expect(configuration.identity.sources[1].hs256Secret?.value == "topsecret-topsecret-topsecret-32")
        #expect(configuration.identity.sources[1].jwtClaim == ["oid"])
        #expect(configuration.identity.sources[1].acceptedAlgorithms == ["HS256"])
        #expect(configuration.identity.sources[2].acceptedAlgorithms == ["ES256"])
        #expect(configuration.identity.sources[3].jwtClaim == ["oid", "sub"])
        #expect(configuration.identity.sources[3].issuer == ["https://login.microsoftonline.com/t/v2.0"])
        #expect(configuration.identity.sources[3].audience?.count == 2)
        #expect(configuration.identity.sources[3].acceptedAlgorithms.contains("RS256"))
        #expect(!configuration.identity.sources[3].acceptedAlgorithms.contains("HS256"))
        #expect(configuration.identity.sources[4].readsUnverifiedToken)
        #expect(configuration.identity.sources[5].strip == false)
        #expect(configuration.warnings().map(\.keyPath) == ["identity.sources[4].verify"])
        #expect(configuration.privacy.truncateIPv4Prefix == 24)
        try configuration.validate()

        let encoded = try JSONEncoder().encode(configuration)
        let text = String(decoding: encoded, as: UTF8.self)
        #expect(!text.contains("topsecret"))
        #expect(text.contains("<redacted>"))
        let original = try #require(try Yams.load(yaml: Self.full))
        #expect(Self.keyPaths(try JSONSerialization.jsonObject(with: encoded)) == Self.keyPaths(original))
    }

    @Test func defaultsEncodeEveryKey() throws {
        let defaults = try YAMLDecoder().decode(TrackingConfiguration.self, from: "{}")
        #expect(defaults == TrackingConfiguration())
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(defaults)) as? [String: Any])
        #expect(Set(object.keys) == ["rules_file", "trusted_proxies", "client_ip", "identity", "privacy"])
        #expect(Set((object["privacy"] as? [String: Any])?.keys ?? [:].keys) == ["redact_query", "user_agent_max", "truncate_ipv4_prefix", "truncate_ipv6_prefix"])
        #expect(defaults.rulesFile == "rules/reports-app.yaml")
        #expect(defaults.privacy.redactQuery == ["token", "access_token", "password", "secret", "code", "signature", "sig", "key"])
        #expect(defaults.privacy.userAgentMax == 512)
        #expect(defaults.clientIP.sources == [.xForwardedFor])
    }

    @Test(arguments: [
        ("trusted_proxies: [10.0.0.0/8, 10.0.0.0/33]", "tracking.trusted_proxies[1]"),
        ("client_ip: {sources: [x_forwarded_for, via]}", "tracking.client_ip.sources[1]"),
        ("privacy: {user_agent_max: lots}", "tracking.privacy.user_agent_max"),
        ("privacy: {truncate_ipv4_prefix: 40}", "tracking.privacy.truncate_ipv4_prefix"),
        ("privacy: {truncate_ipv6_prefix: 129}", "tracking.privacy.truncate_ipv6_prefix"),
        ("client_ip: {sources: []}", "tracking.client_ip.sources"),
        ("identity: {sources: [{header: A, jwt_claim: b}]}", "tracking.identity.sources[0]"),
        ("identity: {sources: [{header: A, strip: true}]}", "tracking.identity.sources[0].strip"),
        ("identity: {sources: [{header: A, hs256_secret: x}]}", "tracking.identity.sources[0].hs256_secret"),
        ("identity: {sources: [{jwt_claim: oid}]}", "tracking.identity.sources[0]"),
        ("identity: {sources: [{jwt_claim: oid, hs256_secret: short}]}", "tracking.identity.sources[0].hs256_secret"),
        ("identity: {sources: [{jwt_claim: oid, jwks_file: k.json, algorithms: [none]}]}", "tracking.identity.sources[0].algorithms"),
        ("identity: {sources: [{jwt_claim: oid, jwks_file: k.json, algorithms: [RS255]}]}", "tracking.identity.sources[0].algorithms"),
        ("identity: {sources: [{jwt_claim: oid, verify: false, jwks_file: k.json}]}", "tracking.identity.sources[0].verify"),
        ("identity: {sources: [{jwt_claim: oid, jwks_url: https://idp/keys, issuer: https://idp/}]}", "tracking.identity.sources[0].audience"),
        ("identity: {sources: [{jwt_claim: oid, jwks_url: https://idp/keys, audience: app}]}", "tracking.identity.sources[0].issuer"),
        ("identity: {sources: [{jwt_claim: oid, jwks_url: ftp://idp/keys, issuer: i, audience: a}]}", "tracking.identity.sources[0].jwks_url"),
        ("identity: {sources: [{jwt_claim: oid, jwks_url: 'https://login.microsoftonline.com/{tenant}/keys', issuer: i, audience: a}]}", "tracking.identity.sources[0].jwks_url"),
        ("identity: {sources: [{jwt_claim: oid, jwks_file: k.json, leeway: 2h}]}", "tracking.identity.sources[0].leeway"),
        ("identity: {sources: [{jwt_claim: oid, jwks_file: k.json, cache_size: 0}]}", "tracking.identity.sources[0].cache_size"),
        ("identity: {sources: [{jwt_claim: [], jwks_file: k.json}]}", "tracking.identity.sources[0]"),
        ("identity: {sources: [{response_header: X-User, issuer: i}]}", "tracking.identity.sources[0].issuer"),
    ])
    func invalidValuesNameTheKeyPath(_ yaml: String, _ keyPath: String) {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/config.yaml"
        write("listen: 0.0.0.0:8080\ntracking:\n  " + yaml + "\n", to: path)
        #expect {
            _ = try TrackingConfiguration.load(configFile: path)
        } throws: { error in
            guard let error = error as? RulesError else { return false }
            #expect(error.message.hasPrefix(keyPath + ":"), "\(error.rendered)")
            return error.code == "bad-config"
        }
    }

    /// The sentence of a `jwt_claim` source without keys says what to add.
    @Test func jwtClaimWithoutKeysSaysWhatToAdd() {
        let problems = IdentitySourceConfiguration(jwtClaim: ["oid"]).problems()
        #expect(problems.count == 1)
        #expect(problems.first?.message.contains("add `jwks_url`") == true)
        #expect(problems.first?.message.contains("`verify: false`") == true)
        #expect(IdentitySourceConfiguration(jwtClaim: ["oid"], verify: false).problems().isEmpty)
    }

    @Test func configFileWithoutTrackingSectionUsesDefaults() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        write("listen: 0.0.0.0:8080\n", to: directory + "/c.yaml")
        #expect(try TrackingConfiguration.load(configFile: directory + "/c.yaml") == TrackingConfiguration())
    }
}
