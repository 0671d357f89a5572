/// The spool's bookkeeping: which segment files exist, their sizes and record counts, which one
/// takes appends, which one is being replayed, and what to drop when the spool is full.
///
/// A value type without I/O: `Spool` asks it what to do, does it on disk, and reports back.
/// Invariants: segments are in increasing id order; at most the last one is open for appends;
/// `totalBytes` is the sum of the segments' bytes.
struct SpoolSegments: Sendable, Equatable {
    struct Segment: Sendable, Equatable {
        let id: UInt64
        var bytes: Int
        var records: Int
        /// Closed for appends; may be replayed and deleted.
        var sealed: Bool
        /// A damaged record was found in it: after its replay it is renamed aside, not deleted.
        var damaged = false
    }

    /// What to do for one append. `nil` from `append` means: drop the record (spool full).
    struct AppendPlan: Sendable, Equatable {
        /// Close this segment's file first: it is sealed.
        var seal: UInt64?
        /// Delete these segments first (`drop_oldest`); their records are lost.
        var evict: [Segment] = []
        /// Create this segment's file (with its header) before appending.
        var create: UInt64?
        /// The segment to append to.
        var segment: UInt64
    }

    /// The bytes a segment file starts with.
    static let headerBytes = 8
    /// The bytes before each record's payload: length and CRC32.
    static let recordOverhead = 8

    let maxBytes: Int
    let segmentBytes: Int
    let policy: SpoolConfiguration.FullPolicy
    private(set) var segments: [Segment]
    private(set) var nextID: UInt64
    /// The segment being replayed, if any: never evicted, never appended to.
    private(set) var replaying: UInt64?

    /// `existing` segments are sealed; new ids start above them and above `highestID` (files
    /// that exist but are not segments to replay must never be appended to).
    init(existing: [Segment], highestID: UInt64 = 0, maxBytes: Int, segmentBytes: Int, policy: SpoolConfiguration.FullPolicy) {
        precondition(maxBytes > 0 && segmentBytes > 0, "spool sizes are positive")
        self.segments = existing.sorted { $0.id < $1.id }.map {
            Segment(id: $0.id, bytes: $0.bytes, records: $0.records, sealed: true, damaged: $0.damaged)
        }
        let highest = max(highestID, segments.last?.id ?? 0)
        // Ids are 16 decimal digits in file names; one that reached UInt64.max wraps to 1 rather than trap.
        self.nextID = highest == .max ? 1 : highest + 1
        self.maxBytes = maxBytes
        self.segmentBytes = segmentBytes
        self.policy = policy
    }

    var totalBytes: Int { segments.reduce(0) { $0 + $1.bytes } }
    var pendingRecords: Int { segments.reduce(0) { $0 + $1.records } }
    var segmentCount: Int { segments.count }

    /// Plans the append of a record of `payloadBytes`; `nil` when it must be dropped.
    mutating func append(payloadBytes: Int) -> AppendPlan? {
        let recordBytes = payloadBytes + Self.recordOverhead
        var plan = AppendPlan(segment: 0)
        var active = segments.last.flatMap { $0.sealed ? nil : $0 }
        if let current = active, current.bytes + recordBytes > segmentBytes, current.records > 0 {
            plan.seal = current.id
            active = nil
        }
        let needed = recordBytes + (active == nil ? Self.headerBytes : 0)
        if totalBytes + needed > maxBytes {
            guard policy == .dropOldest else { return nil }
            var freed = 0
            var evict: [Segment] = []
            for segment in segments where totalBytes - freed + needed > maxBytes {
                guard segment.id != replaying, segment.sealed || segment.id == plan.seal else { continue }
                evict.append(segment)
                freed += segment.bytes
            }
            guard totalBytes - freed + needed <= maxBytes else { return nil }
            plan.evict = evict
        }
        if let seal = plan.seal, let index = segments.firstIndex(where: { $0.id == seal }) { segments[index].sealed = true }
        let evicted = Set(plan.evict.map(\.id))
        segments.removeAll { evicted.contains($0.id) }
        if let active {
            plan.segment = active.id
        } else {
            plan.create = nextID
            plan.segment = nextID
            segments.append(Segment(id: nextID, bytes: Self.headerBytes, records: 0, sealed: false))
            nextID = nextID == .max ? 1 : nextID + 1
        }
        let index = segments.count - 1
        segments[index].bytes += recordBytes
        segments[index].records += 1
        return plan
    }

    /// Undoes the bookkeeping of a planned append whose write failed on disk (the file was cut
    /// back to its last whole record).
    mutating func appendFailed(segment: UInt64, payloadBytes: Int) {
        guard let index = segments.firstIndex(where: { $0.id == segment }) else { return }
        segments[index].bytes -= payloadBytes + Self.recordOverhead
        segments[index].records -= 1
    }

    /// Creating the segment's file failed: forget it, so that the next append plans a new file
    /// instead of writing to one that does not exist. Its planned record is forgotten with it.
    mutating func createFailed(segment: UInt64) {
        segments.removeAll { $0.id == segment && !$0.sealed }
    }

    /// Closes the segment for appends (its file failed a write or an fsync): the next append
    /// starts a new file. A sealed segment without records is replayed as empty and deleted.
    mutating func seal(segment: UInt64) {
        guard let index = segments.firstIndex(where: { $0.id == segment }) else { return }
        segments[index].sealed = true
    }

    /// Notes that the segment holds damage: after its replay it is renamed aside.
    mutating func markDamaged(segment: UInt64) {
        guard let index = segments.firstIndex(where: { $0.id == segment }) else { return }
        segments[index].damaged = true
    }

    func isDamaged(segment: UInt64) -> Bool {
        segments.first { $0.id == segment }?.damaged ?? false
    }

    /// The records the bookkeeping expects in the segment.
    func records(segment: UInt64) -> Int {
        segments.first { $0.id == segment }?.records ?? 0
    }

    /// Picks the oldest segment to replay and marks it; seals it first when it is the one taking
    /// appends (the caller closes its file). `nil` when nothing waits or a replay is in progress.
    mutating func startReplay() -> (segment: UInt64, seal: Bool)? {
        guard replaying == nil, let index = segments.firstIndex(where: { $0.records > 0 || $0.sealed }) else { return nil }
        let seal = !segments[index].sealed
        segments[index].sealed = true
        replaying = segments[index].id
        return (segments[index].id, seal)
    }

    /// The replayed segment's rows are committed: forget it (the caller deletes its file).
    mutating func finishReplay(segment: UInt64) {
        precondition(replaying == segment, "only the segment being replayed can finish")
        segments.removeAll { $0.id == segment }
        replaying = nil
    }

    /// The replay failed (PostgreSQL went away): the segment stays, to be replayed again.
    mutating func abandonReplay() {
        replaying = nil
    }

    /// Seals the segment taking appends, if any (at shutdown); returns its id.
    mutating func sealActive() -> UInt64? {
        guard let last = segments.last, !last.sealed else { return nil }
        segments[segments.count - 1].sealed = true
        return last.id
    }
}
