/// One versioned schema change. Applied at most once, in its own transaction.
public struct Migration: Sendable {
    /// Increasing from 1; recorded in `trackingproxy_schema_migrations`.
    public let version: Int
    /// A few words saying what it does.
    public let name: String
    /// The statements, run in one transaction.
    public let sql: String
}

extension Migration {
    /// Every migration, in order. Never edit a released one: add the next version.
    public static let all: [Migration] = [
        Migration(version: 1, name: "activity, user_activity and activity_dead_letter", sql: """
            CREATE TABLE activity (
                id uuid NOT NULL,
                occurred_at timestamptz NOT NULL,
                user_id text,
                activity_type text NOT NULL,
                description text NOT NULL DEFAULT '',
                method text,
                path text,
                status smallint,
                ip_address inet,
                user_agent text,
                metadata jsonb NOT NULL DEFAULT '{}',
                request_id text,
                duration_ms double precision,
                peer_address inet,
                forwarded_chain text,
                ip_verified boolean NOT NULL DEFAULT false,
                rule_id text,
                PRIMARY KEY (id, occurred_at)
            ) PARTITION BY RANGE (occurred_at);
            COMMENT ON TABLE activity IS 'One row per tracked request, written by the trackingproxy sidecar. Partitioned by month of occurred_at (UTC).';
            CREATE INDEX activity_occurred_at_idx ON activity (occurred_at);
            CREATE INDEX activity_user_id_occurred_at_idx ON activity (user_id, occurred_at);
            CREATE INDEX activity_activity_type_occurred_at_idx ON activity (activity_type, occurred_at);
            CREATE VIEW user_activity AS
                SELECT id, user_id, activity_type, description, ip_address, user_agent, metadata,
                       occurred_at AS "timestamp"
                FROM activity;
            COMMENT ON VIEW user_activity IS 'The old middleware''s field names over activity.';
            CREATE TABLE activity_dead_letter (
                id uuid,
                occurred_at timestamptz,
                record text NOT NULL,
                sqlstate text,
                error text NOT NULL,
                failed_at timestamptz NOT NULL DEFAULT now()
            );
            COMMENT ON TABLE activity_dead_letter IS 'Rows PostgreSQL refused: the record as JSON text, the SQLSTATE and the error. Never retried automatically.';
            CREATE INDEX activity_dead_letter_failed_at_idx ON activity_dead_letter (failed_at);
            """),
        analyticsRollup,
        instanceHeartbeats,
        scheduledJobs,
        systemMetricsExceptions,
    ]
}
