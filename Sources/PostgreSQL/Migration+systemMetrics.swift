extension Migration {
    /// Schema step 5, the sidecars' system metrics (issue 12):
    ///
    /// - `system_metrics.requests_excluded`: requests a rule matched but an exception excluded in
    ///   the minute (the sum of the minute's `system_metrics_exceptions` rows).
    /// - `system_metrics_exceptions`: the same per exception id, for `trackingproxy rules coverage`.
    ///   Its rows go with their `system_metrics` row (`ON DELETE CASCADE`), so the
    ///   `system-metrics-retention` job prunes both.
    package static let systemMetricsExceptions = Migration(version: 5, name: "system_metrics exceptions", sql: """
        ALTER TABLE system_metrics ADD COLUMN requests_excluded bigint NOT NULL DEFAULT 0;
        CREATE TABLE system_metrics_exceptions (
            minute timestamptz NOT NULL,
            instance_id text NOT NULL,
            exception_id text NOT NULL,
            requests bigint NOT NULL,
            PRIMARY KEY (minute, instance_id, exception_id),
            FOREIGN KEY (minute, instance_id) REFERENCES system_metrics (minute, instance_id) ON DELETE CASCADE
        );
        CREATE INDEX system_metrics_exceptions_exception_minute_idx ON system_metrics_exceptions (exception_id, minute);
        COMMENT ON TABLE system_metrics_exceptions IS 'Per minute, sidecar instance and rule exception: requests the exception excluded from recording. Deleted with their system_metrics row.';
        """)
}
