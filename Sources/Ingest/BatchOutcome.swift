import PostgreSQL
/// What writing one batch did.
struct BatchOutcome: Sendable {
    /// Rows added to `activity` by this batch; records whose row was stored already (a replay)
    /// are skipped by `ON CONFLICT DO NOTHING` and not counted.
    var written = 0
    /// Records PostgreSQL refused, moved to `activity_dead_letter`, with the reason.
    var deadLettered: [(record: ActivityRecord, error: StorageError)] = []
    /// Records refused whose dead-letter row could not be written either.
    var lost = 0
}
