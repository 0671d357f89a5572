import Foundation

/// The scheduler's state as a value: each enabled job's next slot. No clock and no I/O: the
/// scheduler asks it what is due at a moment, runs that, and tells it; tests do the same with
/// any moment ("Sunday 03:00").
public struct JobPlan: Sendable, Equatable {
    /// One job's schedule and next slot.
    public struct Entry: Sendable, Equatable {
        public var job: Job
        public var schedule: JobSchedule
        public var zone: TimeZone
        /// The next slot to run (may be in the past: then it is due).
        public var next: Date
    }

    public private(set) var entries: [Entry]

    /// The enabled jobs of `configuration` (minus `excluded`), each due at its first slot after
    /// `now`, or at once when `lastRuns` shows a slot missed since its last run (the service was
    /// down at that time): a missed slot runs once, at start, not once per missed slot.
    public init(configuration: JobsConfiguration, excluded: Set<Job> = [], now: Date, lastRuns: [Job: Date] = [:]) {
        entries = Job.allCases.filter { configuration[$0].enabled && !excluded.contains($0) }.map { job in
            let schedule = configuration[job].schedule
            let zone = configuration.zone(of: job)
            var next = schedule.nextRun(after: now, in: zone)
            if let last = lastRuns[job] {
                let missed = schedule.nextRun(after: last, in: zone)
                if missed <= now { next = missed }
            }
            return Entry(job: job, schedule: schedule, zone: zone, next: next)
        }
    }

    /// The jobs due at `now` with their slots, earliest slot first.
    public func due(at now: Date) -> [(job: Job, slot: Date)] {
        entries.filter { $0.next <= now }.sorted { ($0.next, $0.job) < ($1.next, $1.job) }.map { (job: $0.job, slot: $0.next) }
    }

    /// The earliest next slot, or nil when no job is enabled.
    public var earliest: Date? { entries.map(\.next).min() }

    /// Records that `job`'s slot was handled (run or skipped) at `now`: its next slot is the first
    /// after both (slots passed while a long job ran are not run again).
    public mutating func handled(_ job: Job, at now: Date) {
        guard let index = entries.firstIndex(where: { $0.job == job }) else { return }
        let entry = entries[index]
        entries[index].next = entry.schedule.nextRun(after: max(now, entry.next), in: entry.zone)
    }

    /// The next slot of `job`, or nil when it is not scheduled.
    public func next(_ job: Job) -> Date? { entries.first { $0.job == job }?.next }
}
