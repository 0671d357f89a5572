import PostgreSQL
import Foundation

/// Upserts this instance's row in `trackingproxy_instances` (see `Migration.instanceHeartbeats`)
/// and deletes the rows of instances gone for `staleAfter`.
///
/// Used only on the writer's connection thread (inside `PostgresConnection.run`), as one of the
/// writer loop's actions: never on the request path.
struct HeartbeatWriter: Sendable {
    /// Rows whose heartbeat is older than this are deleted by the other instances.
    static let staleAfter = "7 days"

    let identity: InstanceIdentity

    /// One upsert (one round trip); with `pruneStale`, one `DELETE` more.
    func publish(_ status: IngestStatus, pruneStale: Bool, session: PostgresSession) throws(StorageError) {
        let epoch = { (date: Date) in String(date.timeIntervalSince1970) }
        try session.execute("""
            INSERT INTO trackingproxy_instances AS i (instance_id, hostname, version, started_at, heartbeat_at, state,
                queue_depth, spool_bytes, spool_records, rows_written, dropped, dead_lettered, last_write)
            VALUES ($1, $2, $3, to_timestamp($4::double precision), now(), $5,
                $6::bigint, $7::bigint, $8::bigint, $9::bigint, $10::bigint, $11::bigint, to_timestamp($12::double precision))
            ON CONFLICT (instance_id) DO UPDATE SET
                hostname = excluded.hostname, version = excluded.version, started_at = excluded.started_at,
                heartbeat_at = excluded.heartbeat_at, state = excluded.state, queue_depth = excluded.queue_depth,
                spool_bytes = excluded.spool_bytes, spool_records = excluded.spool_records, rows_written = excluded.rows_written,
                dropped = excluded.dropped, dead_lettered = excluded.dead_lettered, last_write = excluded.last_write
            """, parameters: [
                identity.id, identity.hostname, identity.version, epoch(identity.startedAt), status.state,
                String(status.queueDepth), String(status.spoolBytes), String(status.spoolRecords), String(status.rowsWritten),
                String(status.dropped), String(status.deadLettered), status.lastWrite.map(epoch),
            ], operation: "publish heartbeat")
        guard pruneStale else { return }
        try session.execute(
            "DELETE FROM trackingproxy_instances WHERE heartbeat_at < now() - $1::interval AND instance_id <> $2",
            parameters: [Self.staleAfter, identity.id], operation: "prune heartbeats")
    }
}
