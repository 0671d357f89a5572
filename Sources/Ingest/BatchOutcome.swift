/// What writing one batch did.
struct BatchOutcome: Sendable {
    /// Records committed to `activity` (duplicates of rows already there included: they are stored).
    var written = 0
    /// Records PostgreSQL refused, moved to `activity_dead_letter`, with the reason.
    var deadLettered: [(record: ActivityRecord, error: IngestError)] = []
    /// Records refused whose dead-letter row could not be written either.
    var lost = 0
}
