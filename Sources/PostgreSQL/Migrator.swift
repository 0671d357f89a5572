import Foundation
import Logging

/// Brings the schema to the latest `Migration`: versioned, idempotent, each step in its own
/// transaction, under a session advisory lock so that sidecars starting together do not race.
public struct Migrator: Sendable {
    /// The advisory lock held while migrating.
    public static let lockKey: Int64 = 0x5452_4B50_0001
    /// The table that records applied versions.
    public static let versionTable = "trackingproxy_schema_migrations"

    private let migrations: [Migration]
    private let logger: Logger

    /// - Parameter migrations: the steps, in increasing version order (default: `Migration.all`).
    public init(migrations: [Migration] = Migration.all, logger: Logger) {
        precondition(zip(migrations, migrations.dropFirst()).allSatisfy { $0.version < $1.version }, "migrations are in increasing version order")
        self.migrations = migrations
        self.logger = logger
    }

    /// Applies the missing migrations and creates the partitions for this month and the next
    /// ones. Returns the versions applied now (empty when the schema was up to date).
    @discardableResult
    public func migrate(_ connection: PostgresConnection) async throws -> [Int] {
        let migrations = self.migrations
        let applied = try await connection.run { session -> [Int] in
            try session.execute("SELECT pg_advisory_lock(\(Self.lockKey))", operation: "migrate: lock")
            defer { _ = try? session.execute("SELECT pg_advisory_unlock(\(Self.lockKey))", operation: "migrate: unlock") }
            try session.execute("""
                CREATE TABLE IF NOT EXISTS \(Self.versionTable) (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, operation: "migrate: version table")
            let done = Set(try session.execute("SELECT version FROM \(Self.versionTable)", operation: "migrate: read versions")
                .compactMap { $0.first.flatMap { $0.flatMap(Int.init) } })
            var applied: [Int] = []
            for migration in migrations where !done.contains(migration.version) {
                do {
                    try session.execute("BEGIN", operation: "migration \(migration.version)")
                    try session.execute(migration.sql, operation: "migration \(migration.version)")
                    try session.execute(
                        "INSERT INTO \(Self.versionTable) (version, name) VALUES ($1, $2)",
                        parameters: [String(migration.version), migration.name], operation: "migration \(migration.version)"
                    )
                    try session.execute("COMMIT", operation: "migration \(migration.version)")
                } catch let error as StorageError {
                    _ = try? session.execute("ROLLBACK", operation: "migration \(migration.version)")
                    guard error.code == .statement else { throw error }
                    throw StorageError(
                        code: .migration, operation: error.operation, sqlState: error.sqlState, message: error.message,
                        advice: "The schema was left at the previous version; fix the database (see the message) and run `trackingproxy db migrate` again."
                    )
                }
                applied.append(migration.version)
            }
            var partitions = Partitions()
            try partitions.ensure(Set(MonthPartition.window(from: Date(), count: Partitions.monthsAhead)), session: session)
            return applied
        }
        if applied.isEmpty {
            logger.debug("schema is up to date", metadata: ["db.target": "\(connection.target)"])
        } else {
            logger.info("schema migrated", metadata: ["db.target": "\(connection.target)", "db.migrations": "\(applied)"])
        }
        return applied
    }
}
