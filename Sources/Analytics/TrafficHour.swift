import Foundation

/// One hour of the sidecars' `system_metrics`, summed across instances: the dashboard's traffic
/// chart (admin tokens only, like `system-health`).
public struct TrafficHour: Hashable, Sendable {
    /// The start of the UTC hour.
    public var hour: Date
    public var requests: Int64
    /// 5xx answers + upstream errors + upstream timeouts.
    public var failures: Int64
    /// The largest per-minute, per-instance p95 upstream latency of the hour; nil without one.
    public var latencyP95Ms: Double?

    /// `failures / requests` capped at 1; nil without requests.
    public var errorRate: Double? {
        requests > 0 ? min(1, Double(failures) / Double(requests)) : nil
    }

    /// The most hours one query returns (the dashboard's longest period in hours is far below).
    public static let maxHours = 10_000
}

extension ActivityStore {
    /// `system_metrics` per UTC hour from `from` (inclusive) to `to` (exclusive); hours without
    /// rows are absent. At most `TrafficHour.maxHours` hours, the oldest first.
    public func trafficByHour(from: Date, to: Date) async throws -> [TrafficHour] {
        let rows = try await connection.execute("""
            SELECT extract(epoch FROM date_trunc('hour', minute))::bigint,
                   sum(requests_1xx + requests_2xx + requests_3xx + requests_4xx + requests_5xx),
                   sum(requests_5xx + upstream_errors + upstream_timeouts), max(latency_p95_ms)
            FROM system_metrics WHERE minute >= $1::timestamptz AND minute < $2::timestamptz
            GROUP BY 1 ORDER BY 1 LIMIT \(TrafficHour.maxHours)
            """, parameters: [SQLTime.text(from), SQLTime.text(to)], operation: "dashboard traffic")
        return rows.compactMap { row in
            guard row.count == 4, let epoch = row[0].flatMap({ Int64($0) }), let requests = row[1].flatMap({ Int64($0) }),
                let failures = row[2].flatMap({ Int64($0) })
            else { return nil }
            let p95 = row[3].flatMap { Double($0) }.flatMap { $0.isFinite ? $0 : nil }
            return TrafficHour(hour: Date(timeIntervalSince1970: Double(epoch)), requests: requests, failures: failures, latencyP95Ms: p95)
        }
    }
}
