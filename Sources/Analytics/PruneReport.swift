import Foundation

/// What `ActivityStore.prune(olderThan:)` removed (or, in a dry run, would remove).
public struct PruneReport: Hashable, Sendable {
    /// A monthly partition that lay entirely before the cutoff.
    public struct DroppedPartition: Hashable, Sendable {
        /// The table name, e.g. `activity_2026_08`.
        public var name: String
        /// Rows it held.
        public var rows: Int
    }

    /// Rows strictly before this moment were removed.
    public var cutoff: Date
    /// True when nothing was changed.
    public var dryRun: Bool
    /// Partitions detached and dropped whole.
    public var droppedPartitions: [DroppedPartition]
    /// Rows deleted one by one from the partition that straddles the cutoff.
    public var deletedRows: Int
    /// Future partitions that were missing and were created.
    public var createdPartitions: [String]

    /// Every row removed.
    public var removedRows: Int { RowCount.sum(droppedPartitions.map(\.rows) + [deletedRows]) }

    /// One sentence for people and logs.
    public var summary: String {
        let verb = dryRun ? "would remove" : "removed"
        let dropped = droppedPartitions.isEmpty ? "no whole partition" : droppedPartitions.map { "\($0.name) (\($0.rows) rows)" }.joined(separator: ", ")
        let created = createdPartitions.isEmpty ? "" : "; created partitions \(createdPartitions.joined(separator: ", "))"
        return "\(verb) \(removedRows) rows older than \(SQLTime.text(cutoff)): dropped \(dropped), deleted \(deletedRows) rows\(created)"
    }
}
