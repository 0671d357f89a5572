import Foundation

/// Creates the monthly partitions of `activity` before rows need them, and remembers which exist.
///
/// Used only on a connection's thread (inside `PostgresConnection.run`), by one writer at a time.
package struct Partitions {
    /// The advisory lock that serialises partition creation between sidecars.
    package static let lockKey: Int64 = 0x5452_4B50_0002
    /// Months created ahead of the current one at start-up.
    package static let monthsAhead = 3

    package private(set) var known: Set<MonthPartition> = []

    package init() {}

    /// Makes sure a partition exists for every given month, creating the missing ones in one short
    /// transaction under an advisory lock, so that sidecars starting together do not race.
    package mutating func ensure(_ months: Set<MonthPartition>, session: PostgresSession) throws(StorageError) {
        let missing = months.subtracting(known).sorted()
        guard !missing.isEmpty else { return }
        do {
            try session.execute("BEGIN; SELECT pg_advisory_xact_lock(\(Self.lockKey))", operation: "create partitions")
            for month in missing {
                try session.execute(month.createStatement, operation: "create partition \(month.name)")
            }
            try session.execute("COMMIT", operation: "create partitions")
        } catch {
            if session.isHealthy { _ = try? session.execute("ROLLBACK", operation: "create partitions") }
            throw error
        }
        known.formUnion(missing)
    }

    /// Forgets what exists (after a reconnect or a "no partition" error).
    package mutating func forget() {
        known.removeAll()
    }
}
