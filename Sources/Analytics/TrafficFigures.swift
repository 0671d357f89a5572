import Foundation
import JSONWriting

/// What the sidecars recorded in `system_metrics` over a window, summed across instances: the
/// traffic part of `system-health`.
///
/// Latency percentiles are the largest of the window's per-minute, per-instance values (a
/// percentile of a whole hour cannot be derived from per-minute percentiles; the largest is an
/// upper bound, the figure to alert on). Counters are sums.
public struct TrafficFigures: Hashable, Sendable {
    /// Requests answered, all status classes.
    public var requests: Int64
    /// Requests answered with a 5xx status.
    public var serverErrors: Int64
    /// Upstream connection failures and broken-off responses.
    public var upstreamErrors: Int64
    /// Upstream response-head timeouts.
    public var upstreamTimeouts: Int64
    /// Requests a rule matched but an exception excluded.
    public var requestsExcluded: Int64
    /// The largest per-minute upstream latency percentiles, in milliseconds; nil without data.
    public var latencyP50Ms: Double?
    public var latencyP95Ms: Double?
    public var latencyP99Ms: Double?
    /// Distinct (minute, instance) rows read.
    public var rows: Int64

    /// (5xx answers + upstream errors + upstream timeouts) / requests; nil when no request was
    /// answered. Upstream failures the proxy answered itself are 5xx answers too (502, 504), so
    /// the rate can exceed the share of 5xx; it is capped at 1.
    public var errorRate: Double? {
        guard requests > 0 else { return nil }
        let failed = Double(serverErrors) + Double(upstreamErrors) + Double(upstreamTimeouts)
        return min(1, failed / Double(requests))
    }

    /// The `traffic` object of `system-health`.
    var json: String {
        var object = JSONText.Object()
        object.add("requests", raw: String(requests))
        object.add("requests_5xx", raw: String(serverErrors))
        object.add("upstream_errors", raw: String(upstreamErrors))
        object.add("upstream_timeouts", raw: String(upstreamTimeouts))
        object.add("requests_excluded", raw: String(requestsExcluded))
        object.add("error_rate", raw: errorRate.map(JSONText.number))
        object.add("latency_p50_ms", raw: latencyP50Ms.map(JSONText.number))
        object.add("latency_p95_ms", raw: latencyP95Ms.map(JSONText.number))
        object.add("latency_p99_ms", raw: latencyP99Ms.map(JSONText.number))
        return object.text
    }
}

extension ActivityStore {
    /// `system_metrics` summed over the minutes from `since` (inclusive) to `until` (exclusive).
    public func trafficFigures(since: Date, until: Date) async throws -> TrafficFigures {
        let rows = try await connection.execute("""
            SELECT coalesce(sum(requests_1xx + requests_2xx + requests_3xx + requests_4xx + requests_5xx), 0),
                   coalesce(sum(requests_5xx), 0), coalesce(sum(upstream_errors), 0), coalesce(sum(upstream_timeouts), 0),
                   coalesce(sum(requests_excluded), 0),
                   max(latency_p50_ms), max(latency_p95_ms), max(latency_p99_ms), count(*)
            FROM system_metrics WHERE minute >= $1::timestamptz AND minute < $2::timestamptz
            """, parameters: [SQLTime.text(since), SQLTime.text(until)], operation: "system health traffic")
        let row = rows.first ?? []
        func int(_ index: Int) -> Int64 { row.count > index ? Int64(row[index] ?? "0") ?? 0 : 0 }
        func double(_ index: Int) -> Double? { row.count > index ? row[index].flatMap { Double($0) }.flatMap { $0.isFinite ? $0 : nil } : nil }
        return TrafficFigures(
            requests: int(0), serverErrors: int(1), upstreamErrors: int(2), upstreamTimeouts: int(3), requestsExcluded: int(4),
            latencyP50Ms: double(5), latencyP95Ms: double(6), latencyP99Ms: double(7), rows: int(8))
    }

    /// Every table of the public schema with its total size (`pg_total_relation_size`: data,
    /// indexes, TOAST; a partitioned table's partitions summed into it), largest first.
    public func tableSizes() async throws -> [(table: String, bytes: Int64)] {
        let rows = try await connection.execute("""
            SELECT coalesce(p.relname, c.relname) AS table_name, sum(pg_total_relation_size(c.oid))::bigint AS bytes
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
            LEFT JOIN pg_class p ON p.oid = i.inhparent
            WHERE n.nspname = current_schema() AND c.relkind = 'r'
            GROUP BY 1 ORDER BY 2 DESC, 1
            """, operation: "system health table sizes")
        return rows.compactMap { row in
            guard row.count == 2, let name = row[0], let bytes = row[1].flatMap({ Int64($0) }) else { return nil }
            return (name, bytes)
        }
    }
}
