extension Migration {
    /// Schema step 3: `trackingproxy_instances`, one row per sidecar, upserted by its writer every
    /// `ingest.heartbeat_interval` while connected (`HeartbeatWriter`), read by `system-health`.
    ///
    /// `heartbeat_at` is the server's `now()` at the upsert, and an instance's age is read with
    /// the server's `now()` too, so sidecar clocks never skew it. Rows of instances not heard from
    /// for `HeartbeatWriter.staleAfter` are deleted by the other writers (the default instance id
    /// holds the pid: one row per process).
    package static let instanceHeartbeats = Migration(version: 3, name: "trackingproxy_instances heartbeats", sql: """
        CREATE TABLE trackingproxy_instances (
            instance_id text PRIMARY KEY,
            hostname text NOT NULL,
            version text NOT NULL,
            started_at timestamptz NOT NULL,
            heartbeat_at timestamptz NOT NULL,
            state text NOT NULL DEFAULT '',
            queue_depth bigint NOT NULL DEFAULT 0,
            spool_bytes bigint NOT NULL DEFAULT 0,
            spool_records bigint NOT NULL DEFAULT 0,
            rows_written bigint NOT NULL DEFAULT 0,
            dropped bigint NOT NULL DEFAULT 0,
            dead_lettered bigint NOT NULL DEFAULT 0,
            last_write timestamptz
        );
        COMMENT ON TABLE trackingproxy_instances IS 'One row per trackingproxy sidecar: what its writer reports about itself every ingest.heartbeat_interval (figures since the process started). Rows not updated for 7 days are deleted.';
        CREATE INDEX trackingproxy_instances_heartbeat_at_idx ON trackingproxy_instances (heartbeat_at);
        """)
}
