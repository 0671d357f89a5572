import Foundation
import PostgreSQL

/// The analysts' read side of `activity` (and its retention): listings, summaries, streamed
/// exports, health figures and pruning, over one `PostgresConnection`.
///
/// Every value from an analyst reaches SQL as a parameter, never as SQL text. Queries run on the
/// connection's own thread (see `PostgresConnection`); one store runs one query at a time.
public struct ActivityStore: Sendable {
    /// The connection the queries run on. The store does not close it.
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// One page of the rows matching `filter`, newest first then by id (a stable order: `id` is
    /// unique), and how many rows match in all.
    public func list(_ filter: ActivityFilter, page: PageRequest) async throws -> ActivityPage {
        var countParameters = SQLParameters()
        let canUseRollup = filter.userID == nil && filter.ipAddress == nil ? try await hasRollup() : false
        let countSQL = canUseRollup
            ? Self.rollupCountSQL(filter, &countParameters)
            : "SELECT count(*) FROM activity " + Self.whereClause(filter, &countParameters)
        let countValues = countParameters.values
        var parameters = SQLParameters()
        let whereClause = Self.whereClause(filter, &parameters)
        let limit = parameters.add(String(page.limit))
        let offset = parameters.add(String(page.offset))
        let pageSQL = """
            SELECT \(ActivityRow.selectList) FROM activity \(whereClause)
            ORDER BY activity.occurred_at DESC, activity.id DESC LIMIT \(limit)::bigint OFFSET \(offset)::bigint
            """
        let pageParameters = parameters.values
        // Both statements in one snapshot, so that the count and the page agree.
        let (total, rows) = try await connection.run { session in
            try session.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", operation: "activity list")
            do {
                let total = try session.execute(countSQL, parameters: countValues, operation: "activity list: count")
                let rows = try session.execute(pageSQL, parameters: pageParameters, operation: "activity list: page")
                try session.execute("COMMIT", operation: "activity list")
                return (try RowCount.parse(total.first?.first ?? nil, "activity list: count"), rows)
            } catch {
                if session.isHealthy { _ = try? session.execute("ROLLBACK", operation: "activity list") }
                throw error
            }
        }
        return ActivityPage(total: total, rows: try rows.map { row throws(StorageError) in try ActivityRow(row: row) }, page: page)
    }

    static func whereClause(_ filter: ActivityFilter, _ parameters: inout SQLParameters) -> String {
        let conditions = filter.conditions(&parameters)
        return conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    }

    /// Counts rows without a user or address filter from `activity_hourly` for the whole hours
    /// and from `activity` for the partial hours at the ends: counting millions of rows one by
    /// one takes seconds, the rollup milliseconds. Exact: the rollup changes in the same
    /// transactions as `activity`, and the listing reads both in one snapshot.
    static func rollupCountSQL(_ filter: ActivityFilter, _ parameters: inout SQLParameters) -> String {
        precondition(filter.userID == nil && filter.ipAddress == nil, "the rollup counts by time and type only")
        let lower = filter.from.map(SummaryPeriod.ceilHour)
        let upper = filter.to.map(SummaryPeriod.floorHour)
        if let lower, let upper, lower > upper {
            return "SELECT count(*) FROM activity " + whereClause(filter, &parameters)
        }
        func time(_ date: Date) -> String { parameters.add(SQLTime.text(date)) + "::timestamptz" }
        var types = ""
        if !filter.activityTypes.isEmpty {
            types = "activity_type IN (\(filter.activityTypes.map { parameters.add($0) }.joined(separator: ", ")))"
        }
        var hours = lower.map { ["hour >= \(time($0))"] } ?? []
        if let upper { hours.append("hour < \(time(upper))") }
        if !types.isEmpty { hours.append(types) }
        var edges: [String] = []
        if let from = filter.from, let lower { edges.append("(occurred_at >= \(time(from)) AND occurred_at < \(time(lower)))") }
        if let to = filter.to, let upper { edges.append("(occurred_at >= \(time(upper)) AND occurred_at < \(time(to)))") }
        let rollup = "SELECT coalesce(sum(rows), 0) FROM activity_hourly" + (hours.isEmpty ? "" : " WHERE " + hours.joined(separator: " AND "))
        guard !edges.isEmpty else { return "SELECT (\(rollup))::bigint" }
        let edgeCount = "SELECT count(*) FROM activity WHERE (\(edges.joined(separator: " OR ")))" + (types.isEmpty ? "" : " AND " + types)
        return "SELECT (\(rollup))::bigint + (\(edgeCount))"
    }

    /// Streams every row matching `filter` (newest first, then by id) to `body`, `batchSize` rows
    /// at a time, and returns how many rows were sent.
    ///
    /// Keyset pagination: each batch starts after the last row of the previous one, so memory
    /// stays at one batch whatever the size of the export, no transaction stays open between
    /// batches (retention and writers are never held up), and each batch is an index range scan.
    /// Rows written while the export runs are included only if they sort after the current position.
    @discardableResult
    public func export(_ filter: ActivityFilter, batchSize: Int = 2_000, to body: ([ActivityRow]) async throws -> Void) async throws -> Int {
        precondition(batchSize > 0, "an export batch holds at least one row")
        var after: (occurredAt: String, id: String)?
        var sent = 0
        while true {
            var parameters = SQLParameters()
            var conditions = filter.conditions(&parameters)
            if let after {
                let time = parameters.add(after.occurredAt)
                let id = parameters.add(after.id)
                // The first condition alone lets PostgreSQL use the occurred_at indexes as a range.
                conditions.append("occurred_at <= \(time)::timestamptz")
                conditions.append("(occurred_at < \(time)::timestamptz OR id < \(id)::uuid)")
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let limit = parameters.add(String(batchSize))
            let rows = try await connection.execute(
                "SELECT \(ActivityRow.selectList) FROM activity \(whereClause) ORDER BY activity.occurred_at DESC, activity.id DESC LIMIT \(limit)::bigint",
                parameters: parameters.values, operation: "activity export"
            ).map { row throws(StorageError) in try ActivityRow(row: row) }
            guard let last = rows.last else { return sent }
            try await body(rows)
            sent += rows.count
            if rows.count < batchSize { return sent }
            after = (last.occurredAt, last.id)
        }
    }
}
