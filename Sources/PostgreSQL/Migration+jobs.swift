extension Migration {
    /// Schema step 4, for the analytics service's scheduled jobs (issue 12):
    ///
    /// - `job_runs`: one row per run of a job that got its advisory lock (a run skipped because
    ///   another instance held the lock records nothing; see `JobRunner`). `scheduled_for` is the
    ///   schedule's slot (NULL for `trackingproxy jobs run`): a slot already recorded is never run
    ///   again by another instance.
    /// - `system_metrics`: per minute and sidecar instance, what it saw. Filled by the sidecars
    ///   (later work); pruned by the `system-metrics-retention` job.
    /// - `activity_daily` and `activity_daily_days`: rows per UTC day, activity type and user,
    ///   written by the `daily-rollup` job; a day is in `activity_daily_days` with its total once
    ///   computed. The summary reads a day from it only while that total still equals the day's
    ///   total in `activity_hourly` (exact, kept by triggers), so a late, imported or pruned row
    ///   makes the summary scan that day until the job recomputes it.
    /// - `activity_active_users`: distinct users per UTC day, ISO week (Monday) and month.
    package static let scheduledJobs = Migration(version: 4, name: "job_runs, system_metrics and daily rollups", sql: """
        CREATE TABLE job_runs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            job text NOT NULL,
            scheduled_for timestamptz,
            started_at timestamptz NOT NULL,
            finished_at timestamptz NOT NULL,
            outcome text NOT NULL CHECK (outcome IN ('ok', 'failed', 'skipped')),
            figures jsonb NOT NULL DEFAULT '{}',
            error text,
            instance text NOT NULL DEFAULT ''
        );
        COMMENT ON TABLE job_runs IS 'One row per run of a scheduled job of trackingproxy analytics serve (or trackingproxy jobs run).';
        CREATE INDEX job_runs_job_started_at_idx ON job_runs (job, started_at DESC);
        CREATE UNIQUE INDEX job_runs_job_slot_idx ON job_runs (job, scheduled_for) WHERE scheduled_for IS NOT NULL AND outcome <> 'skipped';
        CREATE TABLE system_metrics (
            minute timestamptz NOT NULL,
            instance_id text NOT NULL,
            requests_1xx bigint NOT NULL DEFAULT 0,
            requests_2xx bigint NOT NULL DEFAULT 0,
            requests_3xx bigint NOT NULL DEFAULT 0,
            requests_4xx bigint NOT NULL DEFAULT 0,
            requests_5xx bigint NOT NULL DEFAULT 0,
            upstream_errors bigint NOT NULL DEFAULT 0,
            upstream_timeouts bigint NOT NULL DEFAULT 0,
            latency_p50_ms double precision,
            latency_p95_ms double precision,
            latency_p99_ms double precision,
            bytes_in bigint NOT NULL DEFAULT 0,
            bytes_out bigint NOT NULL DEFAULT 0,
            rows_written bigint NOT NULL DEFAULT 0,
            rows_spooled bigint NOT NULL DEFAULT 0,
            rows_dropped bigint NOT NULL DEFAULT 0,
            rows_dead_lettered bigint NOT NULL DEFAULT 0,
            queue_depth bigint NOT NULL DEFAULT 0,
            spool_bytes bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (minute, instance_id)
        );
        COMMENT ON TABLE system_metrics IS 'Per minute and sidecar instance: requests by status class, upstream errors and latency, bytes, rows written/spooled/dropped/dead-lettered, queue and spool depth. Pruned by the system-metrics-retention job.';
        CREATE TABLE activity_daily (
            day date NOT NULL,
            activity_type text NOT NULL,
            user_id text,
            rows bigint NOT NULL
        );
        CREATE INDEX activity_daily_day_idx ON activity_daily (day, activity_type);
        CREATE INDEX activity_daily_user_day_idx ON activity_daily (user_id, day);
        COMMENT ON TABLE activity_daily IS 'Rows of activity per UTC day, activity_type and user_id, written by the daily-rollup job. Valid for a day while activity_daily_days.rows equals the day in activity_hourly.';
        CREATE TABLE activity_daily_days (
            day date PRIMARY KEY,
            rows bigint NOT NULL,
            computed_at timestamptz NOT NULL DEFAULT now()
        );
        COMMENT ON TABLE activity_daily_days IS 'The days activity_daily holds, with their total when computed.';
        CREATE TABLE activity_active_users (
            period text NOT NULL CHECK (period IN ('day', 'week', 'month')),
            period_start date NOT NULL,
            users bigint NOT NULL,
            computed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (period, period_start)
        );
        COMMENT ON TABLE activity_active_users IS 'Distinct users with activity per UTC day, ISO week (starting Monday) and month, written by the daily-rollup job; a period not yet over holds the figure so far.';
        """)
}
