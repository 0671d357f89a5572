import JSONWriting

/// One value placed over the configuration file, from an environment variable or a flag.
package struct ConfigurationOverride: Sendable, Equatable {
    /// The key path the value is written to, e.g. `["upstream", "url"]`.
    package var keyPath: [String]
    /// The value as YAML text: a scalar (`http://a:80`, `5s`, `true`) or a flow list (`[a, b]`).
    package var yaml: String
    /// Where it came from, for error messages: `environment variable TRACKINGPROXY_LISTEN`.
    package var source: String

    package init(keyPath: [String], yaml: String, source: String) {
        self.keyPath = keyPath
        self.yaml = yaml
        self.source = source
    }

    /// `text` as a YAML double-quoted scalar, so that a flag's value is read as that exact string
    /// (a conninfo with `"`, `\\`, `#` or `: ` in it), never as YAML syntax. A JSON string literal
    /// is one: YAML 1.2's double-quoted escapes include JSON's.
    package static func quoted(_ text: String) -> String {
        JSONText.string(text)
    }

    /// The prefix every environment variable of ours carries.
    package static let environmentPrefix = "TRACKINGPROXY_"

    /// Short names for the most used keys, beside the general `TRACKINGPROXY_SECTION__KEY` form.
    package static let environmentAliases: [String: [String]] = [
        "UPSTREAM": ["upstream", "url"],
        "ADMIN_LISTEN": ["admin", "listen"],
        "LOG_LEVEL": ["log", "level"],
        "LOG_FORMAT": ["log", "format"],
        "DATABASE_URL": ["ingest", "database", "url"],
        "SPOOL_DIR": ["ingest", "spool", "dir"],
        "RULES": ["tracking", "rules_file"],
        "TRUSTED_PROXIES": ["tracking", "trusted_proxies"],
    ]

    /// Reads `TRACKINGPROXY_*` variables. `TRACKINGPROXY_CLIENT__MAX_HEADER_BYTES=64KiB` sets
    /// `client.max_header_bytes`; aliases such as `TRACKINGPROXY_UPSTREAM` name common keys.
    /// Variables whose first key is not a top-level key (e.g. ones used by test scripts) are
    /// ignored, so only `topLevelKeys` can be set this way.
    package static func fromEnvironment(_ environment: [String: String], topLevelKeys: Set<String>) -> [ConfigurationOverride] {
        environment.keys.sorted().compactMap { name in
            guard name.hasPrefix(environmentPrefix), let value = environment[name] else { return nil }
            let suffix = String(name.dropFirst(environmentPrefix.count))
            let path = environmentAliases[suffix] ?? suffix.lowercased().components(separatedBy: "__")
            guard let first = path.first, topLevelKeys.contains(first) else { return nil }
            return ConfigurationOverride(keyPath: path, yaml: value, source: "environment variable \(name)")
        }
    }
}
