import ConfigValues
import PostgreSQL

/// The `ingest` part of the configuration file: PostgreSQL, the in-memory queue, batching, retries,
/// the disk spool and shutdown.
///
/// Every field has a default, so an empty section is valid. Decoding reads only the keys listed in
/// each `CodingKeys`; encoding writes every one of them (a `nil` URL as `null`), so the caller can
/// find unknown keys by re-encoding and comparing key sets, and print the effective configuration
/// (the URL is a `Secret` and prints redacted).
public struct IngestConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
    /// `database`: where and how to connect.
    public var database = Database()
    /// `queue`: the in-memory queue between the request path and the writer.
    public var queue = Queue()
    /// `batch`: when a batch is written.
    public var batch = Batch()
    /// `retry`: reconnecting while PostgreSQL is unreachable.
    public var retry = Retry()
    /// `spool`: the disk spool used while PostgreSQL is unreachable or the queue is full.
    public var spool = SpoolConfiguration()
    /// `shutdown_flush_timeout`: how long a graceful stop may spend writing the queue to PostgreSQL
    /// before spooling the rest. Default `5s`.
    public var shutdownFlushTimeout = ConfigDuration.seconds(5)
    /// `heartbeat_interval`: how often the writer upserts this instance's row in
    /// `trackingproxy_instances` (figures for `system-health`) while connected. 1s to 1h. Default `5s`.
    public var heartbeatInterval = ConfigDuration.seconds(5)
    /// `system_metrics_interval`: how often the sidecar harvests its traffic counters into the
    /// minute's `system_metrics` row (written with the next heartbeat). 100ms to 60s. Default `60s`.
    public var systemMetricsInterval = ConfigDuration.seconds(60)
    /// `instance_id`: this sidecar's name in `trackingproxy_instances`, at most 128 bytes.
    /// Default `null`: `<hostname>:<pid>`, a new row per process.
    public var instanceID: String?

    public init() {}

    /// Every value decoding cannot judge, with its key path under `ingest`.
    public func problems() -> [ConfigurationProblem] {
        var problems: [ConfigurationProblem] = []
        func problem(_ keyPath: String, _ message: String) { problems.append(ConfigurationProblem(keyPath, message)) }
        if queue.capacity < 1 { problem("queue.capacity", "\(queue.capacity) is too small; it must be at least 1") }
        if batch.size < 1 { problem("batch.size", "\(batch.size) is too small; it must be at least 1") }
        if batch.maxSize < batch.size { problem("batch.max_size", "\(batch.maxSize) is smaller than batch.size (\(batch.size))") }
        if batch.maxAge.nanoseconds == 0 { problem("batch.max_age", "is 0; it must be more, e.g. \"200ms\"") }
        if retry.initialBackoff.nanoseconds == 0 { problem("retry.initial_backoff", "is 0; it must be more, e.g. \"250ms\"") }
        if retry.maxBackoff < retry.initialBackoff {
            problem("retry.max_backoff", "\(retry.maxBackoff) is shorter than retry.initial_backoff (\(retry.initialBackoff))")
        }
        if spool.dir.isEmpty { problem("spool.dir", "is empty; name a directory") }
        if spool.segmentBytes.bytes < 4096 { problem("spool.segment_bytes", "\(spool.segmentBytes) is too small; it must be at least 4KiB") }
        if spool.maxBytes < spool.segmentBytes {
            problem("spool.max_bytes", "\(spool.maxBytes) is smaller than spool.segment_bytes (\(spool.segmentBytes))")
        }
        if spool.syncInterval.nanoseconds == 0 { problem("spool.sync_interval", "is 0; it must be more, e.g. \"1s\"") }
        if heartbeatInterval < .seconds(1) || heartbeatInterval > .seconds(3_600) {
            problem("heartbeat_interval", "\(heartbeatInterval) is out of range; it must be from 1s to 1h")
        }
        if systemMetricsInterval < .milliseconds(100) || systemMetricsInterval > .seconds(60) {
            problem("system_metrics_interval", "\(systemMetricsInterval) is out of range; it must be from 100ms to 60s")
        }
        if let instanceID, let problem = InstanceIdentity.problem(with: instanceID) { problems.append(ConfigurationProblem("instance_id", problem)) }
        if batch.maxAge.duration >= spool.syncInterval.duration / 2 {
            problem("batch.max_age", "\(batch.maxAge) must be under half of spool.sync_interval (\(spool.syncInterval)): records waiting longer go to the spool, so that kill -9 loses at most one sync interval")
        }
        return problems
    }

    /// `problems()` as one error, for callers that build a configuration in code (the writer
    /// requires a valid one); the configuration loader reports them one by one, located.
    public func validate() throws(StorageError) {
        let problems = problems()
        guard problems.isEmpty else {
            throw StorageError(
                code: .configuration, operation: "read configuration", message: problems.map(\.description).joined(separator: "; "),
                advice: "Fix these keys in the ingest section of the configuration file."
            )
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case database, queue, batch, retry, spool
        case shutdownFlushTimeout = "shutdown_flush_timeout"
        case heartbeatInterval = "heartbeat_interval"
        case systemMetricsInterval = "system_metrics_interval"
        case instanceID = "instance_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = Self()
        database = try container.decodeIfPresent(Database.self, forKey: .database) ?? defaults.database
        queue = try container.decodeIfPresent(Queue.self, forKey: .queue) ?? defaults.queue
        batch = try container.decodeIfPresent(Batch.self, forKey: .batch) ?? defaults.batch
        retry = try container.decodeIfPresent(Retry.self, forKey: .retry) ?? defaults.retry
        spool = try container.decodeIfPresent(SpoolConfiguration.self, forKey: .spool) ?? defaults.spool
        shutdownFlushTimeout = try container.decodeIfPresent(ConfigDuration.self, forKey: .shutdownFlushTimeout) ?? defaults.shutdownFlushTimeout
        heartbeatInterval = try container.decodeIfPresent(ConfigDuration.self, forKey: .heartbeatInterval) ?? defaults.heartbeatInterval
        systemMetricsInterval = try container.decodeIfPresent(ConfigDuration.self, forKey: .systemMetricsInterval) ?? defaults.systemMetricsInterval
        instanceID = try container.decodeIfPresent(String.self, forKey: .instanceID)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(database, forKey: .database)
        try container.encode(queue, forKey: .queue)
        try container.encode(batch, forKey: .batch)
        try container.encode(retry, forKey: .retry)
        try container.encode(spool, forKey: .spool)
        try container.encode(shutdownFlushTimeout, forKey: .shutdownFlushTimeout)
        try container.encode(heartbeatInterval, forKey: .heartbeatInterval)
        try container.encode(systemMetricsInterval, forKey: .systemMetricsInterval)
        try container.encode(instanceID, forKey: .instanceID)
    }
}

extension IngestConfiguration {
    /// `database`: where and how to connect.
    public struct Database: Codable, Sendable, Equatable {
        /// `url`: a libpq conninfo string (`host=db dbname=app`) or URI (`postgresql://u@h1,h2/app?target_session_attrs=read-write`).
        /// Default `null`: libpq's `PG*` environment variables and `~/.pgpass` decide.
        public var url: Secret?
        /// `migrate_on_start`: run the schema migrations before writing. Default `true`.
        public var migrateOnStart = true
        /// `synchronous_commit`: the writer session's `synchronous_commit`. Default `on`: a batch
        /// PostgreSQL acknowledged is in its WAL on disk, and the writer frees it then (it is in no
        /// spool). `off` saves one WAL flush per batch, but a PostgreSQL crash or failover then
        /// loses the batches of its last ~0.6 s (3 × `wal_writer_delay`), which nothing resends.
        public var synchronousCommit = SynchronousCommit.on
        /// `connect_timeout`: how long one connection attempt may take. Default `5s`.
        public var connectTimeout = ConfigDuration.seconds(5)

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case url
            case migrateOnStart = "migrate_on_start"
            case synchronousCommit = "synchronous_commit"
            case connectTimeout = "connect_timeout"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let defaults = Self()
            url = try container.decodeIfPresent(Secret.self, forKey: .url)
            migrateOnStart = try container.decodeIfPresent(Bool.self, forKey: .migrateOnStart) ?? defaults.migrateOnStart
            synchronousCommit = try container.decodeIfPresent(SynchronousCommit.self, forKey: .synchronousCommit) ?? defaults.synchronousCommit
            connectTimeout = try container.decodeIfPresent(ConfigDuration.self, forKey: .connectTimeout) ?? defaults.connectTimeout
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(url, forKey: .url)
            try container.encode(migrateOnStart, forKey: .migrateOnStart)
            try container.encode(synchronousCommit, forKey: .synchronousCommit)
            try container.encode(connectTimeout, forKey: .connectTimeout)
        }
    }

    /// PostgreSQL's `synchronous_commit` values.
    public enum SynchronousCommit: String, Codable, Sendable, CaseIterable {
        case on, off, local
        case remoteWrite = "remote_write"
        case remoteApply = "remote_apply"
    }

    /// `queue`: the in-memory queue between the request path and the writer.
    public struct Queue: Codable, Sendable, Equatable {
        /// `capacity`: records held in memory; past it, records go to the spool. Default `10000`.
        public var capacity = 10_000

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable { case capacity }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            capacity = try container.decodeIfPresent(Int.self, forKey: .capacity) ?? Self().capacity
        }
    }

    /// `batch`: a batch is written when it has `size` records or its oldest record is `max_age` old.
    public struct Batch: Codable, Sendable, Equatable {
        /// `size`: a batch is written once this many records wait. Default `500`.
        public var size = 500
        /// `max_size`: the most records in one batch when more than `size` wait (the writer fell
        /// behind, or a spool is replayed): a backlog goes out in fewer, larger `COPY`s, each paying
        /// one round trip and one commit. At least `size`. Default `5000`.
        public var maxSize = 5_000

        /// The most records the writer puts in one batch: `max_size`, never less than `size`.
        var largestBatch: Int { max(size, maxSize) }
        /// `max_age`: the longest a record waits for its batch to fill. Default `200ms`.
        public var maxAge = ConfigDuration.milliseconds(200)
        /// `direct_copy`: copy a batch (from the queue or a spool replay) straight into `activity`
        /// on its first attempt; should one of its rows be stored already, the batch falls back
        /// to the staging table. `false`: every batch goes through the staging table. Default `true`.
        public var directCopy = true

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case size
            case maxSize = "max_size"
            case maxAge = "max_age"
            case directCopy = "direct_copy"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let defaults = Self()
            size = try container.decodeIfPresent(Int.self, forKey: .size) ?? defaults.size
            maxSize = try container.decodeIfPresent(Int.self, forKey: .maxSize) ?? max(defaults.maxSize, size)
            maxAge = try container.decodeIfPresent(ConfigDuration.self, forKey: .maxAge) ?? defaults.maxAge
            directCopy = try container.decodeIfPresent(Bool.self, forKey: .directCopy) ?? defaults.directCopy
        }
    }

    /// `retry`: exponential backoff with jitter between connection attempts.
    public struct Retry: Codable, Sendable, Equatable {
        /// `initial_backoff`: the first delay. Default `250ms`.
        public var initialBackoff = ConfigDuration.milliseconds(250)
        /// `max_backoff`: the longest delay. Default `30s`.
        public var maxBackoff = ConfigDuration.seconds(30)

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case initialBackoff = "initial_backoff"
            case maxBackoff = "max_backoff"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let defaults = Self()
            initialBackoff = try container.decodeIfPresent(ConfigDuration.self, forKey: .initialBackoff) ?? defaults.initialBackoff
            maxBackoff = try container.decodeIfPresent(ConfigDuration.self, forKey: .maxBackoff) ?? defaults.maxBackoff
        }
    }
}
