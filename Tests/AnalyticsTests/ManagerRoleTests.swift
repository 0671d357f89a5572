@testable import DeploymentConfiguration
import ConfigValues
import Foundation
import Testing
@testable import Analytics

/// Issue 12: the `manager` role, tokens kept as SHA-256 digests, and `analytics.tokens_file`.
@Suite struct ManagerRoleTests {
    static let manager = "manager-token-0123456789"
    /// `sha256:` of `manager`, computed with Python's hashlib (not with the code under test).
    static let managerDigest = "sha256:d0f52940c3f5ecaf6b19553ee072557eed6987e9c1ff383c275cde9b4d9ee922"

    /// The manager configured by its digest only; alice by her plain token.
    static let configuration = AnalyticsConfiguration(tokens: [
        .init(token: Secret(managerDigest), role: .manager),
        .init(token: Secret(Tokens.alice), role: .user, userID: "alice"),
    ])

    @Test func managerReadsEveryUserAndSystemHealthButAUserDoesNot() async throws {
        try await withAnalyticsApp(configuration: Self.configuration) { client in
            let all = try await get(client, "/api/v1/analytics/user-activity/?limit=100&date_from=36500d", token: Self.manager)
            #expect(all.status == .ok)
            let users = Set(results(all.json).compactMap { $0["user"] as? String })
            #expect(users == ["alice", "bob", "carol"])
            let bob = try await get(client, "/api/v1/analytics/user-activity/?user_id=bob&date_from=36500d", token: Self.manager)
            #expect(bob.status == .ok && !results(bob.json).isEmpty)
            let health = try await get(client, "/api/v1/analytics/system-health/", token: Self.manager)
            #expect(health.status == .ok)
            #expect(health.json["database"] != nil)

            let own = try await get(client, "/api/v1/analytics/user-activity/?limit=100&date_from=36500d", token: Tokens.alice)
            #expect(own.status == .ok)
            #expect(Set(results(own.json).compactMap { $0["user"] as? String }) == ["alice"])
            #expect(try await get(client, "/api/v1/analytics/user-activity/?user_id=bob", token: Tokens.alice).status == .forbidden)
            #expect(try await get(client, "/api/v1/analytics/system-health/", token: Tokens.alice).status == .forbidden)
        }
    }

    @Test func onlyTheTokenWhoseDigestIsConfiguredIsAccepted() async throws {
        try await withAnalyticsApp(configuration: Self.configuration) { client in
            // The digest text is not the token; a near miss and a prefix are not either.
            for wrong in [Self.managerDigest, "manager-token-012345678", "manager-token-0123456789x", Tokens.admin] {
                let refused = try await get(client, "/api/v1/analytics/system-health/", token: wrong)
                #expect(refused.status == .unauthorized, "\(wrong)")
            }
            let accepted = try await get(client, "/api/v1/analytics/system-health/", token: Self.manager, basic: true)
            #expect(accepted.status == .ok)
        }
    }

    @Test func managersAreRateLimitedLikeUsersAndAdminsAreNot() {
        let configuration = AnalyticsConfiguration(tokens: [
            .init(token: Secret(Self.manager), role: .manager), .init(token: Secret(Tokens.admin), role: .admin),
        ])
        #expect(configuration.limit(of: configuration.tokens[0]) == RateLimit.userDefault)
        #expect(configuration.limit(of: configuration.tokens[1]) == nil)
    }

    @Test(arguments: [
        ("sha256:abc", "64 hexadecimal digits"),
        ("sha256:" + String(repeating: "g", count: 64), "64 hexadecimal digits"),
        ("sha256:" + String(repeating: "a", count: 65), "64 hexadecimal digits"),
    ])
    func malformedDigestIsAnErrorAtItsKey(token: String, hint: String) {
        let yaml = "analytics:\n  tokens:\n    - {token: \"\(token)\", role: manager}\n"
        do {
            _ = try ConfigurationLoader<ProxyConfiguration>().load(yaml: yaml, fileName: "config.yaml")
            Issue.record("\(token) was accepted")
        } catch {
            #expect(error.keyPath == "analytics.tokens[0].token")
            #expect(error.message.contains(hint), "\(error)")
        }
    }

    @Test func sameTokenAsTextAndAsDigestIsConfiguredTwice() {
        let configuration = AnalyticsConfiguration(tokens: [
            .init(token: Secret(Self.manager), role: .manager), .init(token: Secret(Self.managerDigest), role: .admin),
        ])
        #expect(configuration.problems().map(\.description).contains { $0.hasPrefix("tokens[1].token: the same token") })
    }

    @Test func digestTextIsReadInEitherCaseAndPrintedInLowerCase() throws {
        let upper = TokenDigest.prefix + Self.managerDigest.dropFirst(TokenDigest.prefix.count).uppercased()
        #expect(try TokenDigest(configured: upper) == TokenDigest(token: Self.manager))
        #expect(try TokenDigest(configured: Self.managerDigest).text == Self.managerDigest)
        #expect(TokenDigest.configurationText(of: Self.manager) == Self.managerDigest)
        // Plain text that happens to be 64 hex digits is a token, not a digest.
        let hex = String(Self.managerDigest.dropFirst(TokenDigest.prefix.count))
        #expect(try TokenDigest(configured: hex) != TokenDigest(token: Self.manager))
    }

    @Test func managerWithUserIDIsAProblem() {
        let configuration = AnalyticsConfiguration(tokens: [.init(token: Secret(Self.manager), role: .manager, userID: "alice")])
        #expect(configuration.problems().map(\.keyPath) == ["tokens[0].user_id"])
    }
}

/// `analytics.tokens_file`, read through the one configuration loader.
@Suite struct TokensFileTests {
    /// A directory holding `config.yaml` and `secrets/tokens.yaml`; returns the configuration's path.
    static func write(config: String, tokens: String?) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("secrets"), withIntermediateDirectories: true)
        if let tokens { try tokens.write(to: directory.appendingPathComponent("secrets/tokens.yaml"), atomically: true, encoding: .utf8) }
        let path = directory.appendingPathComponent("config.yaml").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func entriesAreReadRelativeToTheConfigurationFile() throws {
        let path = try Self.write(
            config: "analytics:\n  tokens:\n    - {token: \"\(Tokens.admin)\", role: admin}\n  tokens_file: secrets/tokens.yaml\n",
            tokens: "- token: \"\(ManagerRoleTests.managerDigest)\"\n  role: manager\n- {token: \"\(Tokens.alice)\", role: user, user_id: alice}\n")
        let configuration = try ConfigurationLoader<ProxyConfiguration>(readsNamedFiles: true).load(path: path, overrides: [])
        #expect(configuration.analytics.tokens.count == 1)
        #expect(configuration.analytics.fileTokens.map(\.role) == [.manager, .user])
        let book = TokenBook(configuration.analytics)
        #expect(book.access(authorization: "Bearer \(ManagerRoleTests.manager)") == AnalyticsAccess(role: .manager))
        #expect(book.access(authorization: "Bearer \(Tokens.alice)") == AnalyticsAccess(role: .user, userID: "alice"))
        #expect(book.access(authorization: "Bearer \(Tokens.admin)") == AnalyticsAccess(role: .admin))
        #expect(book.access(authorization: "Bearer \(Tokens.bob)") == nil)
        // What the analytics service keeps: digests only, which still accept the tokens.
        let hashed = configuration.analytics.withTokensAsDigests()
        #expect(hashed.allTokens.allSatisfy { $0.token.value.hasPrefix("sha256:") && $0.token.value.count == 71 })
        #expect(!hashed.allTokens.contains { $0.token.value.contains(Tokens.alice) || $0.token.value.contains(Tokens.admin) })
        #expect(TokenBook(hashed).access(authorization: "Bearer \(Tokens.alice)") == AnalyticsAccess(role: .user, userID: "alice"))
        #expect(TokenBook(hashed).access(authorization: "Bearer \(Tokens.admin)") == AnalyticsAccess(role: .admin))
        // The effective configuration shows the file's path, never its tokens.
        let rendered = ConfigurationLoader<ProxyConfiguration>.render(configuration)
        #expect(rendered.contains("tokens_file: secrets/tokens.yaml") && !rendered.contains("manager"))
    }

    /// A sidecar (and every command but `analytics serve`, `doctor` and `config check`) neither
    /// needs the tokens nor may be allowed to read their secret: it does not read the file.
    @Test func aLoaderThatDoesNotReadNamedFilesLeavesTheTokensFileAlone() throws {
        let path = try Self.write(config: "analytics:\n  tokens_file: secrets/missing.yaml\n", tokens: nil)
        let configuration = try ConfigurationLoader<ProxyConfiguration>().load(path: path, overrides: [])
        #expect(configuration.analytics.tokensFile == "secrets/missing.yaml" && configuration.analytics.fileTokens.isEmpty)
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader<ProxyConfiguration>(readsNamedFiles: true).load(path: path, overrides: [])
        }
    }

    /// Yams' own message quotes the offending line, which in a tokens file is a token.
    @Test func aYAMLErrorNamesTheLineButNeverQuotesIt() throws {
        let secret = "kept-out-of-logs-0123456789"
        let path = try Self.write(config: "analytics:\n  tokens_file: secrets/tokens.yaml\n", tokens: "- {token: \"\(secret)\", role: admin]\n")
        do {
            _ = try ConfigurationLoader<ProxyConfiguration>(readsNamedFiles: true).load(path: path, overrides: [])
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("not valid YAML: line 1"), "\(error)")
            #expect(!error.description.contains(secret), "\(error)")
        }
        do {
            _ = try ConfigurationLoader<ProxyConfiguration>().load(yaml: "analytics:\n  tokens: [{token: \"\(secret)\", role: admin]\n", fileName: "c.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("not valid YAML: line 2"), "\(error)")
            #expect(!error.description.contains(secret), "\(error)")
        }
    }

    /// Only a regular file is read, and at most 1 MiB of it: a device or a directory named by
    /// mistake is an error, not a hang.
    @Test(arguments: ["/dev/zero", "/tmp"])
    func aPathThatIsNotARegularFileIsRefused(target: String) throws {
        let path = try Self.write(config: "analytics:\n  tokens_file: \(target)\n", tokens: nil)
        #expect(Self.refusal(path).contains("is not a regular file"))
    }

    /// The message of the error loading the configuration at `path` (with its named files) gives.
    static func refusal(_ path: String) -> String {
        do {
            _ = try ConfigurationLoader<ProxyConfiguration>(readsNamedFiles: true).load(path: path, overrides: [])
            return "accepted"
        } catch {
            return error.message
        }
    }

    @Test func aFileOverOneMebibyteIsRefused() throws {
        let big = String(repeating: "# padding line of a tokens file\n", count: 40_000)
        let path = try Self.write(config: "analytics:\n  tokens_file: secrets/tokens.yaml\n", tokens: big)
        #expect(Self.refusal(path).contains("larger than 1048576 bytes"))
    }

    @Test(arguments: [
        (nil as String?, "cannot be read"),
        ("tokens: [{token: x}]\n", "must be a YAML list"),
        ("- {token: \"0123456789abcdef0\", role: admin, scope: all}\n", "unknown key scope"),
        ("- {token: \"0123456789abcdef0\"}\n", "role is required"),
        ("- [\n", "not valid YAML"),
        ("tokens: \"0123456789abcdef0", "line 1, column"),
        // Loads, but an entry's value is wrong: reported at tokens_file, naming the entry.
        ("- {token: \"0123456789abcdef0\", role: admin}\n- {token: short, role: admin}\n", "entry 2, token: a token has at least 16 characters"),
    ])
    func unusableFileOrEntryIsAnErrorNamingItsPath(tokens: String?, hint: String) throws {
        let path = try Self.write(config: "analytics:\n  tokens_file: secrets/tokens.yaml\n", tokens: tokens)
        do {
            _ = try ConfigurationLoader<ProxyConfiguration>(readsNamedFiles: true).load(path: path, overrides: [])
            Issue.record("accepted")
        } catch {
            #expect(error.keyPath == "analytics.tokens_file")
            #expect(error.message.contains("secrets/tokens.yaml"), "\(error)")
            #expect(error.message.contains(hint), "\(error)")
        }
    }
}
