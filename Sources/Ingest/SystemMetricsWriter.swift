import Foundation
import PostgreSQL

/// Upserts system-metric minutes into `system_metrics` and `system_metrics_exceptions`
/// (migrations 4 and 5), in one transaction per call.
///
/// A minute already stored for the instance is added to, the same way `SidecarMinute.add`
/// combines two values: counters add, latency percentiles and gauges keep the larger.
/// Used only on the writer's connection thread (inside `PostgresConnection.run`).
struct SystemMetricsWriter: Sendable {
    let instanceID: String

    func write(_ minutes: [SidecarMinute], session: PostgresSession) throws(StorageError) {
        guard !minutes.isEmpty else { return }
        _ = try session.execute("BEGIN", operation: "write system metrics")
        do throws(StorageError) {
            for minute in minutes { try upsert(minute, session: session) }
            _ = try session.execute("COMMIT", operation: "write system metrics")
        } catch {
            _ = try? session.execute("ROLLBACK", operation: "write system metrics")
            throw error
        }
    }

    private func upsert(_ m: SidecarMinute, session: PostgresSession) throws(StorageError) {
        let minute = String(m.minute.timeIntervalSince1970)
        // Five classes whatever the array holds (it is built by the proxy, but the SQL wants five).
        let counts: [String?] = (m.requestsByClass + [0, 0, 0, 0, 0]).prefix(5).map { String($0) }
        var parameters: [String?] = [minute, instanceID]
        parameters += counts
        parameters += [
            String(m.upstreamErrors), String(m.upstreamTimeouts),
            m.latencyP50Ms.map { String($0) }, m.latencyP95Ms.map { String($0) }, m.latencyP99Ms.map { String($0) },
            String(m.bytesIn), String(m.bytesOut), String(m.rowsWritten), String(m.rowsSpooled), String(m.rowsDropped),
            String(m.rowsDeadLettered), String(m.queueDepth), String(m.spoolBytes), String(m.requestsExcluded),
        ]
        _ = try session.execute("""
            INSERT INTO system_metrics AS m (minute, instance_id, requests_1xx, requests_2xx, requests_3xx, requests_4xx, requests_5xx,
                upstream_errors, upstream_timeouts, latency_p50_ms, latency_p95_ms, latency_p99_ms, bytes_in, bytes_out,
                rows_written, rows_spooled, rows_dropped, rows_dead_lettered, queue_depth, spool_bytes, requests_excluded)
            VALUES (to_timestamp($1::double precision), $2, $3::bigint, $4::bigint, $5::bigint, $6::bigint, $7::bigint,
                $8::bigint, $9::bigint, $10::double precision, $11::double precision, $12::double precision, $13::bigint, $14::bigint,
                $15::bigint, $16::bigint, $17::bigint, $18::bigint, $19::bigint, $20::bigint, $21::bigint)
            ON CONFLICT (minute, instance_id) DO UPDATE SET
                requests_1xx = m.requests_1xx + excluded.requests_1xx, requests_2xx = m.requests_2xx + excluded.requests_2xx,
                requests_3xx = m.requests_3xx + excluded.requests_3xx, requests_4xx = m.requests_4xx + excluded.requests_4xx,
                requests_5xx = m.requests_5xx + excluded.requests_5xx,
                upstream_errors = m.upstream_errors + excluded.upstream_errors,
                upstream_timeouts = m.upstream_timeouts + excluded.upstream_timeouts,
                latency_p50_ms = GREATEST(m.latency_p50_ms, excluded.latency_p50_ms),
                latency_p95_ms = GREATEST(m.latency_p95_ms, excluded.latency_p95_ms),
                latency_p99_ms = GREATEST(m.latency_p99_ms, excluded.latency_p99_ms),
                bytes_in = m.bytes_in + excluded.bytes_in, bytes_out = m.bytes_out + excluded.bytes_out,
                rows_written = m.rows_written + excluded.rows_written, rows_spooled = m.rows_spooled + excluded.rows_spooled,
                rows_dropped = m.rows_dropped + excluded.rows_dropped,
                rows_dead_lettered = m.rows_dead_lettered + excluded.rows_dead_lettered,
                queue_depth = GREATEST(m.queue_depth, excluded.queue_depth),
                spool_bytes = GREATEST(m.spool_bytes, excluded.spool_bytes),
                requests_excluded = m.requests_excluded + excluded.requests_excluded
            """, parameters: parameters, operation: "write system metrics")
        for (exceptionID, requests) in m.exclusions.sorted(by: { $0.key < $1.key }) where requests > 0 {
            _ = try session.execute("""
                INSERT INTO system_metrics_exceptions AS e (minute, instance_id, exception_id, requests)
                VALUES (to_timestamp($1::double precision), $2, $3, $4::bigint)
                ON CONFLICT (minute, instance_id, exception_id) DO UPDATE SET requests = e.requests + excluded.requests
                """, parameters: [minute, instanceID, exceptionID, String(requests)], operation: "write system metrics")
        }
    }
}
