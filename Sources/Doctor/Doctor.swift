import ActivityRules
import Analytics
import ConfigValues
import DeploymentConfiguration
import Foundation
import Logging
import NIOPosix

/// `trackingproxy doctor` (the old `initialize_analytics`): verifies a deployment from its
/// configuration and says what to do next, one `DoctorCheck` per line.
///
/// The checks, in order: the configuration (the one loader); the rules file; the upstream (a TCP
/// connect with a short timeout, as `/readyz`); the spool directory; the analytics tokens; then,
/// on one connection, PostgreSQL, the schema (`fix`: migrated with `Migrator`), the partitions
/// of this month and the months ahead (`fix`: created), with `rollupDays` and `fix` the daily and
/// hourly rollups of those days, the last run of every job, and the sidecars' heartbeats. A
/// configuration that does not load stops the checks (everything else reads it); an unreachable
/// database or a schema left behind skips the checks that read the schema.
///
/// Blocking work (libpq, the file system, DNS) runs on threads of its own, never on an event loop.
package struct Doctor: Sendable {
    /// What the doctor may change and what it checks beyond the defaults.
    package struct Options: Sendable {
        /// Migrate the schema, create missing partitions and (with `rollupDays`) build rollups.
        package var fix = false
        /// With `fix`: rebuild the daily rollups of this many whole days before today and verify
        /// the hourly rollup of those hours. `allowedRollupDays` bounds it.
        package var rollupDays: Int?

        package init(fix: Bool = false, rollupDays: Int? = nil) {
            self.fix = fix
            self.rollupDays = rollupDays
        }
    }

    /// The range of `--days`: one day to ten years.
    package static let allowedRollupDays = 1...3_660

    let configurationPath: String?
    let overrides: [ConfigurationOverride]
    let options: Options
    let logger: Logger
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - configurationPath: the YAML file; nil: defaults (and `overrides`) only.
    ///   - now: the clock; tests pass their own.
    package init(
        configurationPath: String?, overrides: [ConfigurationOverride], options: Options, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configurationPath = configurationPath
        self.overrides = overrides
        self.options = options
        self.logger = logger
        self.now = now
    }

    /// Runs every check; never throws: a failure is a check's `error`.
    package func run() async -> DoctorReport {
        let configuration: ProxyConfiguration
        do {
            configuration = try ConfigurationLoader<ProxyConfiguration>(readsNamedFiles: true).load(path: configurationPath, overrides: overrides)
        } catch {
            return DoctorReport(checks: [DoctorCheck(
                "configuration", .error, error.description,
                fix: "correct the value at the place named, then run `trackingproxy config check` (or doctor) again")])
        }
        var checks = [DoctorCheck("configuration", .ok, "\(configurationPath ?? "no file, defaults") loaded and valid")]
        let rulesFile = configuration.tracking.rulesFile
        checks.append(await Self.offTheCooperativePool("rules") { Self.checkRules(rulesFile) })
        checks.append(await checkUpstream(configuration))
        checks.append(await Self.checkSpool(configuration.ingest.spool))
        checks.append(Self.checkTokens(configuration.analytics))
        checks += await checkDatabase(configuration)
        return DoctorReport(checks: checks)
    }

    /// `body`'s check, run on NIO's blocking-I/O pool (file reads block).
    static func offTheCooperativePool(_ name: String, _ body: @escaping @Sendable () -> DoctorCheck) async -> DoctorCheck {
        do {
            return try await NIOThreadPool.singleton.runIfActive(body)
        } catch {
            return DoctorCheck(name, .error, "could not be checked: \(error)", fix: "run doctor again")
        }
    }

    /// The rules file loads, and the rules checker has no warning about it.
    static func checkRules(_ path: String) -> DoctorCheck {
        let ruleSet: RuleSet
        do {
            ruleSet = try RuleSet.load(path: path)
        } catch {
            return DoctorCheck("rules", .error, error.description,
                               fix: "run `trackingproxy rules check \(path)` and correct what it shows")
        }
        // The warnings `rules check` gives, untested rules included when a test file is beside it.
        let warnings = RuleChecker.warnings(ruleSet, testedRuleIDs: RuleChecker.testedRuleIDs(besides: path, ruleSet: ruleSet))
        if let first = warnings.first {
            return DoctorCheck("rules", .warning,
                               "\(path): \(warnings.count) warning\(warnings.count == 1 ? "" : "s"), first at line \(first.location.line): \(first.message)",
                               fix: "run `trackingproxy rules check \(path)` and resolve the warnings")
        }
        return DoctorCheck("rules", .ok, "\(path): \(ruleSet.count) rule\(ruleSet.count == 1 ? "" : "s"), hash \(ruleSet.hash.prefix(12))")
    }

    /// At least one analytics token, and how many of them are kept as plain text.
    static func checkTokens(_ analytics: AnalyticsConfiguration) -> DoctorCheck {
        let tokens = analytics.allTokens
        guard !tokens.isEmpty else {
            return DoctorCheck("analytics tokens", .warning, "no token in analytics.tokens or analytics.tokens_file: every API and dashboard request gets 401",
                               fix: "add a token (`openssl rand -hex 24 | trackingproxy analytics hash-token`) to analytics.tokens or the tokens file")
        }
        let roles = AnalyticsConfiguration.Role.allCases.compactMap { role -> String? in
            let count = tokens.filter { $0.role == role }.count
            return count == 0 ? nil : "\(count) \(role.rawValue)"
        }
        let plain = tokens.filter { !$0.token.value.hasPrefix(TokenDigest.prefix) }.count
        let stored = plain == 0 ? "all as sha256 digests" : "\(plain) as plain text (`analytics hash-token` prints a digest to store instead)"
        return DoctorCheck("analytics tokens", .ok, "\(tokens.count) token\(tokens.count == 1 ? "" : "s") (\(roles.joined(separator: ", "))), \(stored)")
    }
}
