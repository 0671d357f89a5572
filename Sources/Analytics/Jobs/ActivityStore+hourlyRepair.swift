import Foundation
import PostgreSQL

extension ActivityStore {
    /// Compares `activity_hourly` with `activity` for the `hours` whole UTC hours before `now`'s
    /// hour and that hour itself, and repairs the (hour, type) counts that differ.
    ///
    /// The comparison is one statement, so it reads both tables in one snapshot: the triggers
    /// change them in the same transactions, and a difference is real, never a race. Only when
    /// there is one does the repair lock `activity` against writes (SHARE, for the few hours that
    /// differ; sidecars wait meanwhile, they do not fail) and recount those hours.
    public func verifyHourlyRollup(hours: Int, now: Date, dryRun: Bool) async throws -> JobReport {
        let to = SummaryPeriod.floorHour(now).addingTimeInterval(3_600)
        let from = to.addingTimeInterval(-Double(hours + 1) * 3_600)
        let parameters = [SQLTime.text(from), SQLTime.text(to)]
        let differences = """
            WITH counted AS (
                SELECT date_trunc('hour', occurred_at, 'UTC') AS hour, activity_type, count(*) AS rows
                FROM activity WHERE occurred_at >= $1::timestamptz AND occurred_at < $2::timestamptz GROUP BY 1, 2
            ), kept AS (
                SELECT hour, activity_type, rows FROM activity_hourly WHERE hour >= $1::timestamptz AND hour < $2::timestamptz
            )
            SELECT coalesce(c.hour, k.hour) AS hour, coalesce(c.activity_type, k.activity_type) AS activity_type,
                   coalesce(c.rows, 0) AS counted, coalesce(k.rows, 0) AS kept
            FROM counted c FULL JOIN kept k ON c.hour = k.hour AND c.activity_type = k.activity_type
            WHERE coalesce(c.rows, 0) <> coalesce(k.rows, 0)
            """
        let (found, repairedHours) = try await connection.run { session -> ([[String?]], Int) in
            let found = try session.execute(differences, parameters: parameters, operation: "hourly-rollup: compare")
            guard !found.isEmpty, !dryRun else { return (found, 0) }
            do {
                try session.execute("BEGIN; LOCK TABLE activity IN SHARE MODE", operation: "hourly-rollup: lock")
                // The hours as PostgreSQL printed them, back as an array parameter.
                let wrong = Array(Set(found.compactMap { $0.first ?? nil })).sorted()
                let array = "{" + wrong.map { "\"\($0)\"" }.joined(separator: ",") + "}"
                try session.execute("DELETE FROM activity_hourly WHERE hour = ANY($1::timestamptz[])",
                                    parameters: [array], operation: "hourly-rollup: clear")
                try session.execute("""
                    INSERT INTO activity_hourly (hour, activity_type, rows)
                    SELECT date_trunc('hour', a.occurred_at, 'UTC'), a.activity_type, count(*)
                    FROM activity a JOIN unnest($1::timestamptz[]) AS w(hour)
                         ON a.occurred_at >= w.hour AND a.occurred_at < w.hour + interval '1 hour'
                    GROUP BY 1, 2
                    """, parameters: [array], operation: "hourly-rollup: recount")
                try session.execute("COMMIT", operation: "hourly-rollup: commit")
                return (found, wrong.count)
            } catch {
                if session.isHealthy { _ = try? session.execute("ROLLBACK", operation: "hourly-rollup: roll back") }
                throw error
            }
        }
        var rowsDifference = 0
        for row in found where row.count == 4 {
            let counted = try RowCount.parse(row[2], "hourly-rollup: compare")
            let kept = try RowCount.parse(row[3], "hourly-rollup: compare")
            rowsDifference = RowCount.sum([rowsDifference, abs(counted - kept)])
        }
        let wrongHours = Set(found.compactMap { $0.first ?? nil }).count
        let checked = hours + 1
        let summary: String
        if found.isEmpty {
            summary = "activity_hourly agrees with activity for the \(checked) hours from \(SQLTime.text(from))"
        } else if dryRun {
            summary = "activity_hourly differs from activity in \(wrongHours) of \(checked) hours (\(found.count) hour and type counts, \(rowsDifference) rows): would repair them"
        } else {
            summary = "repaired activity_hourly in \(wrongHours) of \(checked) hours (\(found.count) hour and type counts, \(rowsDifference) rows)"
        }
        return JobReport(summary: summary, figures: [
            .init("hours_checked", checked), .init("hours_differing", wrongHours), .init("counts_differing", found.count),
            .init("rows_difference", rowsDifference), .init("hours_repaired", repairedHours),
        ])
    }
}
