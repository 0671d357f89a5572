import ConfigValues
import ArgumentParser
import Foundation
import DeploymentConfiguration

/// Options shared by every command that reads the configuration: the file and the flags that
/// override it. Precedence (flag > environment > file > default) is applied by
/// `ConfigurationLoader` through `overrides(environment:)`.
struct ConfigurationOptions: ParsableArguments {
    @Option(name: .long, help: "YAML configuration file. Without it, defaults apply.")
    var config: String?

    @Option(name: .long, help: "Where clients connect, HOST:PORT (default 127.0.0.1:8080).")
    var listen: String?

    @Option(name: .long, help: "The application behind the proxy, http://HOST:PORT (default http://127.0.0.1:8000).")
    var upstream: String?

    @Option(name: .customLong("admin-listen"), help: "Where /healthz, /readyz and /metrics are served, HOST:PORT (default 127.0.0.1:9090).")
    var adminListen: String?

    @Option(name: .long, help: "The rules file (default rules/reports-app.yaml).")
    var rules: String?

    @Option(name: .customLong("trusted-proxy"), help: "A trusted proxy, CIDR or address; repeatable. Replaces tracking.trusted_proxies.")
    var trustedProxies: [String] = []

    @Option(name: .customLong("database-url"), help: "PostgreSQL: a libpq conninfo string or postgresql:// URI (default: the PG* variables).")
    var databaseURL: String?

    @Option(name: .customLong("spool-dir"), help: "Where records wait on disk while PostgreSQL is away (default spool).")
    var spoolDir: String?

    @Option(name: .customLong("log-level"), help: "One of \(LogConfiguration.levels.joined(separator: ", ")) (default info).")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "One of \(LogConfiguration.Format.allCases.map(\.rawValue).joined(separator: ", ")) (default text; auto: json when stderr is not a terminal).")
    var logFormat: String?

    /// Environment overrides first, then flags, so that flags win.
    func overrides(environment: [String: String] = ProcessInfo.processInfo.environment) -> [ConfigurationOverride] {
        var result = Self.overrides(
            environment: environment,
            flags: [
                (listen, "listen", ["listen"]),
                (upstream, "upstream", ["upstream", "url"]),
                (adminListen, "admin-listen", ["admin", "listen"]),
                (logLevel, "log-level", ["log", "level"]),
                (logFormat, "log-format", ["log", "format"]),
                (rules, "rules", ["tracking", "rules_file"]),
                (databaseURL.map(ConfigurationOverride.quoted), "database-url", ["ingest", "database", "url"]),
                (spoolDir, "spool-dir", ["ingest", "spool", "dir"]),
            ])
        if !trustedProxies.isEmpty {
            let list = "[" + trustedProxies.map(ConfigurationOverride.quoted).joined(separator: ", ") + "]"
            result.append(ConfigurationOverride(keyPath: ["tracking", "trusted_proxies"], yaml: list, source: "flag --trusted-proxy"))
        }
        return result
    }

    /// The effective configuration, or a `ConfigurationError` naming the key and its source
    /// (printed as `Error: …`, exit status 1). `readsNamedFiles`: also read and check the files
    /// it names (`analytics.tokens_file`), for the commands that use or check them.
    func load(readsNamedFiles: Bool = false) throws(ConfigurationError) -> ProxyConfiguration {
        try ConfigurationLoader<ProxyConfiguration>(readsNamedFiles: readsNamedFiles).load(path: config, overrides: overrides())
    }

    /// The `TRACKINGPROXY_*` environment variables, then each flag given (value, flag name, key
    /// path), in order: the one place every command's precedence is resolved.
    static func overrides(environment: [String: String], flags: [(value: String?, name: String, keyPath: [String])]) -> [ConfigurationOverride] {
        var result = ConfigurationOverride.fromEnvironment(environment, topLevelKeys: Set(ProxyConfiguration.CodingKeys.allCases.map(\.rawValue)))
        for flag in flags {
            if let value = flag.value { result.append(ConfigurationOverride(keyPath: flag.keyPath, yaml: value, source: "flag --\(flag.name)")) }
        }
        return result
    }
}
