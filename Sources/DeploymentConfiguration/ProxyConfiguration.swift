import ActivityRules
import ConfigValues
import Ingest

/// The whole configuration file, nested like the YAML: what `trackingproxy serve` (the sidecar)
/// and `trackingproxy analytics serve` read; each uses its sections (see the README's table).
///
/// Every field has a default, so an empty file is a valid configuration. Keys are snake_case in
/// YAML. Unknown keys are rejected by `ConfigurationLoader`, which also applies environment
/// variables and flags on top of the file (flag > environment > file > default).
package struct ProxyConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
    /// Where the proxy accepts client connections. Default `127.0.0.1:8080`.
    package var listen = HostPort(host: "127.0.0.1", port: 8080)
    /// The application the proxy stands in front of.
    package var upstream = UpstreamConfiguration()
    /// Limits and timeouts that protect the proxy from its clients.
    package var client = ClientConfiguration()
    /// The admin listener: health, readiness and metrics.
    package var admin = AdminConfiguration()
    /// How the proxy stops.
    package var shutdown = ShutdownConfiguration()
    /// Logging.
    package var log = LogConfiguration()
    /// How many event loop threads serve connections. `0` (default) means one per CPU core.
    package var threads = 0
    /// Which requests are activities, the client IP, identity and privacy (module ActivityRules).
    package var tracking = TrackingConfiguration()
    /// Where and how activities are stored: PostgreSQL, queue, batches, spool (module Ingest).
    package var ingest = IngestConfiguration()
    /// The analytics service (`analytics serve`): its listener, and who may read its API and dashboard.
    package var analytics = AnalyticsConfiguration()
    /// How long activities are kept (the analytics service prunes when `retention.days` is set).
    package var retention = RetentionConfiguration()

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case listen, upstream, client, admin, shutdown, log, threads, tracking, ingest, analytics, retention
    }

    package init() {}

    package init(from decoder: any Decoder) throws {
        let defaults = Self()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        listen = try container.decodeIfPresent(HostPort.self, forKey: .listen) ?? defaults.listen
        upstream = try container.decodeIfPresent(UpstreamConfiguration.self, forKey: .upstream) ?? defaults.upstream
        client = try container.decodeIfPresent(ClientConfiguration.self, forKey: .client) ?? defaults.client
        admin = try container.decodeIfPresent(AdminConfiguration.self, forKey: .admin) ?? defaults.admin
        shutdown = try container.decodeIfPresent(ShutdownConfiguration.self, forKey: .shutdown) ?? defaults.shutdown
        log = try container.decodeIfPresent(LogConfiguration.self, forKey: .log) ?? defaults.log
        threads = try container.decodeIfPresent(Int.self, forKey: .threads) ?? defaults.threads
        tracking = try container.decodeIfPresent(TrackingConfiguration.self, forKey: .tracking) ?? defaults.tracking
        ingest = try container.decodeIfPresent(IngestConfiguration.self, forKey: .ingest) ?? defaults.ingest
        analytics = try container.decodeIfPresent(AnalyticsConfiguration.self, forKey: .analytics) ?? defaults.analytics
        retention = try container.decodeIfPresent(RetentionConfiguration.self, forKey: .retention) ?? defaults.retention
    }

    /// Every section's problems under its key, and the root's own; `ConfigurationLoader` reports
    /// them located in the file.
    package func problems() -> [ConfigurationProblem] {
        var problems = upstream.problems().under("upstream") + client.problems().under("client") + admin.problems().under("admin")
        problems += log.problems().under("log")
        problems += tracking.problems().under("tracking") + ingest.problems().under("ingest")
        problems += analytics.problems().under("analytics") + retention.problems().under("retention")
        if !(0...256).contains(threads) { problems.append(ConfigurationProblem("threads", "\(threads) is out of range; use 0 (one per core) to 256")) }
        return problems
    }
}

/// The upstream application and how the proxy talks to it.
package struct UpstreamConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
    /// The application's base URL, `http://HOST:PORT`. Default `http://127.0.0.1:8000`.
    package var url = UpstreamURL(host: "127.0.0.1", port: 8000)
    /// Send the upstream's own host in `Host` instead of the client's. Default `false`: the app
    /// sees the `Host` the client sent, as it did without the proxy.
    package var rewriteHost = false
    /// How long a new upstream connection may take before the request fails with 502. Default `2s`.
    package var connectTimeout = ConfigDuration.seconds(2)
    /// How long the upstream may take to start its response before the request fails with 504.
    /// Default `60s`.
    package var responseHeadTimeout = ConfigDuration.seconds(60)
    /// Idle keep-alive connections kept per event loop. Default `64`.
    package var maxIdleConnections = 64
    /// How long an idle pooled connection is kept before it is closed. Default `30s`; keep it below
    /// the upstream's own keep-alive timeout.
    package var idleConnectionTimeout = ConfigDuration.seconds(30)

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case url
        case rewriteHost = "rewrite_host"
        case connectTimeout = "connect_timeout"
        case responseHeadTimeout = "response_head_timeout"
        case maxIdleConnections = "max_idle_connections"
        case idleConnectionTimeout = "idle_connection_timeout"
    }

    package init() {}

    package init(from decoder: any Decoder) throws {
        let defaults = Self()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        url = try container.decodeIfPresent(UpstreamURL.self, forKey: .url) ?? defaults.url
        rewriteHost = try container.decodeIfPresent(Bool.self, forKey: .rewriteHost) ?? defaults.rewriteHost
        connectTimeout = try container.decodeIfPresent(ConfigDuration.self, forKey: .connectTimeout) ?? defaults.connectTimeout
        responseHeadTimeout =
            try container.decodeIfPresent(ConfigDuration.self, forKey: .responseHeadTimeout) ?? defaults.responseHeadTimeout
        maxIdleConnections = try container.decodeIfPresent(Int.self, forKey: .maxIdleConnections) ?? defaults.maxIdleConnections
        idleConnectionTimeout =
            try container.decodeIfPresent(ConfigDuration.self, forKey: .idleConnectionTimeout) ?? defaults.idleConnectionTimeout
    }

    package func problems() -> [ConfigurationProblem] {
        maxIdleConnections >= 0 ? [] : [ConfigurationProblem("max_idle_connections", "\(maxIdleConnections) is negative; use 0 or more")]
    }
}

/// Limits and timeouts applied to client connections.
package struct ClientConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
    /// Largest request header section; larger → 431. Default `32KiB`.
    package var maxHeaderBytes = ByteSize.kibibytes(32)
    /// Longest request-target; longer → 414. Default `8KiB`.
    package var maxURLBytes = ByteSize.kibibytes(8)
    /// Largest request body; larger → 413. Default: none (`null`).
    package var maxBodyBytes: ByteSize? = nil
    /// Most client connections open at once; past it new connections are closed. Default `10000`.
    package var maxConnections = 10_000
    /// Time a client has to send a whole request head once it started one (slowloris). Default `10s`.
    package var requestHeadTimeout = ConfigDuration.seconds(10)
    /// Time an idle keep-alive connection is kept open waiting for the next request. Default `75s`.
    package var idleTimeout = ConfigDuration.seconds(75)
    /// Longest wait for the next part of a request body the proxy is ready to read (nginx
    /// `client_body_timeout`); on expiry both connections close and nothing is recorded. Default `60s`.
    package var bodyTimeout = ConfigDuration.seconds(60)
    /// Longest time a response waits for the client to take any of it (nginx `send_timeout`); on
    /// expiry both connections close and nothing is recorded. Default `60s`.
    package var sendTimeout = ConfigDuration.seconds(60)
    /// Forward request header fields whose names contain `_` (nginx `underscores_in_headers`).
    /// Default `false`: they are dropped, because frameworks such as Django read `X_Forwarded_For`
    /// as `X-Forwarded-For`. Even when `true`, a name that reads as one the proxy sets or guards
    /// (`X_Forwarded_For`, `X_Real_IP`, an identity header, …) is dropped.
    package var underscoresInHeaders = false

    /// Upper bounds of the size limits: far above any sensible value, low enough that sums of
    /// them never overflow.
    package static let maxSizeLimit = 1 << 40

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case maxHeaderBytes = "max_header_bytes"
        case maxURLBytes = "max_url_bytes"
        case maxBodyBytes = "max_body_bytes"
        case maxConnections = "max_connections"
        case requestHeadTimeout = "request_head_timeout"
        case idleTimeout = "idle_timeout"
        case bodyTimeout = "body_timeout"
        case sendTimeout = "send_timeout"
        case underscoresInHeaders = "underscores_in_headers"
    }

    package init() {}

    package init(from decoder: any Decoder) throws {
        let defaults = Self()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        maxHeaderBytes = try container.decodeIfPresent(ByteSize.self, forKey: .maxHeaderBytes) ?? defaults.maxHeaderBytes
        maxURLBytes = try container.decodeIfPresent(ByteSize.self, forKey: .maxURLBytes) ?? defaults.maxURLBytes
        maxBodyBytes = try container.decodeIfPresent(ByteSize.self, forKey: .maxBodyBytes) ?? defaults.maxBodyBytes
        maxConnections = try container.decodeIfPresent(Int.self, forKey: .maxConnections) ?? defaults.maxConnections
        requestHeadTimeout =
            try container.decodeIfPresent(ConfigDuration.self, forKey: .requestHeadTimeout) ?? defaults.requestHeadTimeout
        idleTimeout = try container.decodeIfPresent(ConfigDuration.self, forKey: .idleTimeout) ?? defaults.idleTimeout
        bodyTimeout = try container.decodeIfPresent(ConfigDuration.self, forKey: .bodyTimeout) ?? defaults.bodyTimeout
        sendTimeout = try container.decodeIfPresent(ConfigDuration.self, forKey: .sendTimeout) ?? defaults.sendTimeout
        underscoresInHeaders =
            try container.decodeIfPresent(Bool.self, forKey: .underscoresInHeaders) ?? defaults.underscoresInHeaders
    }

    package func problems() -> [ConfigurationProblem] {
        var problems: [ConfigurationProblem] = []
        for (key, timeout) in [(CodingKeys.bodyTimeout, bodyTimeout), (.sendTimeout, sendTimeout)] where timeout.nanoseconds < 1_000_000 {
            problems.append(ConfigurationProblem(key.rawValue, "\(timeout) is too short; use at least 1ms"))
        }
        for (key, size) in [(CodingKeys.maxHeaderBytes, maxHeaderBytes), (.maxURLBytes, maxURLBytes), (.maxBodyBytes, maxBodyBytes)] {
            guard let size, size.bytes > Self.maxSizeLimit else { continue }
            problems.append(ConfigurationProblem(key.rawValue, "\(size) is too large; use at most 1TiB"))
        }
        if maxConnections < 1 { problems.append(ConfigurationProblem("max_connections", "\(maxConnections) must be at least 1")) }
        if maxHeaderBytes.bytes < 1024 { problems.append(ConfigurationProblem("max_header_bytes", "too small; max_header_bytes must be at least 1KiB")) }
        if maxURLBytes.bytes < 256 { problems.append(ConfigurationProblem("max_url_bytes", "too small; max_url_bytes must be at least 256")) }
        return problems
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(maxHeaderBytes, forKey: .maxHeaderBytes)
        try container.encode(maxURLBytes, forKey: .maxURLBytes)
        try container.encode(maxBodyBytes, forKey: .maxBodyBytes)  // null when unlimited, so the key shows
        try container.encode(maxConnections, forKey: .maxConnections)
        try container.encode(requestHeadTimeout, forKey: .requestHeadTimeout)
        try container.encode(idleTimeout, forKey: .idleTimeout)
        try container.encode(bodyTimeout, forKey: .bodyTimeout)
        try container.encode(sendTimeout, forKey: .sendTimeout)
        try container.encode(underscoresInHeaders, forKey: .underscoresInHeaders)
    }
}

/// The admin listener.
package struct AdminConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
    /// Where `/healthz`, `/readyz` and `/metrics` are served. Default `127.0.0.1:9090`.
    package var listen = HostPort(host: "127.0.0.1", port: 9090)
    /// Time a connection may stay without a complete request (idle, or sending its head) before
    /// it is closed. Default `60s`.
    package var idleTimeout = ConfigDuration.seconds(60)
    /// Most admin connections open at once; past it new ones wait in the listen backlog, so idle
    /// sockets never take the descriptors the proxy needs. Default `256`.
    package var maxConnections = 256

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case listen
        case idleTimeout = "idle_timeout"
        case maxConnections = "max_connections"
    }

    package init() {}

    package init(from decoder: any Decoder) throws {
        let defaults = Self()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let listener = try ListenerSettings.decode(
            from: container, listenKey: .listen, idleTimeoutKey: .idleTimeout, maxConnectionsKey: .maxConnections,
            defaults: ListenerSettings(listen: defaults.listen))
        (listen, idleTimeout, maxConnections) = (listener.listen, listener.idleTimeout, listener.maxConnections)
    }

    package func problems() -> [ConfigurationProblem] {
        var listener = ListenerSettings(listen: listen)
        (listener.idleTimeout, listener.maxConnections) = (idleTimeout, maxConnections)
        return listener.problems()
    }
}

/// Graceful shutdown.
package struct ShutdownConfiguration: Codable, Sendable, Equatable {
    /// How long in-flight requests may take to finish after SIGTERM/SIGINT before their
    /// connections are closed. Default `30s`.
    package var gracePeriod = ConfigDuration.seconds(30)

    package enum CodingKeys: String, CodingKey, CaseIterable { case gracePeriod = "grace_period" }

    package init() {}

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        gracePeriod = try container.decodeIfPresent(ConfigDuration.self, forKey: .gracePeriod) ?? Self().gracePeriod
    }
}

/// Logging.
package struct LogConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
    /// One of `trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`. Default `info`.
    package var level = "info"

    package static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    package enum CodingKeys: String, CodingKey, CaseIterable { case level }

    package init() {}

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        level = try container.decodeIfPresent(String.self, forKey: .level) ?? Self().level
    }

    package func problems() -> [ConfigurationProblem] {
        Self.levels.contains(level) ? [] : [ConfigurationProblem("level", "\"\(level)\" is not a log level; use one of \(Self.levels.joined(separator: ", "))")]
    }
}
