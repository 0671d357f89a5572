import Foundation
import Testing
@testable import Analytics

/// The schedule's parser and `nextRun(after:in:)`, a pure function: no clock, no database.
@Suite struct JobScheduleTests {
    static func utc(_ text: String) -> Date {
        guard let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) else { preconditionFailure("bad test date \(text)") }
        return date
    }

    static let utcZone = TimeZone(identifier: "UTC")!
    static let berlin = TimeZone(identifier: "Europe/Berlin")!

    @Test(arguments: [
        ("sunday 03:00", JobSchedule.weekly(weekday: 1, hour: 3, minute: 0), "sunday 03:00"),
        ("Mon 9:05", .weekly(weekday: 2, hour: 9, minute: 5), "monday 09:05"),
        ("daily 02:00", .daily(hour: 2, minute: 0), "daily 02:00"),
        ("hourly :05", .hourly(minute: 5), "hourly :05"),
        ("hourly 59", .hourly(minute: 59), "hourly :59"),
    ])
    func parses(text: String, schedule: JobSchedule, canonical: String) throws {
        #expect(try JobSchedule(parsing: text) == schedule)
        #expect(schedule.description == canonical)
    }

    @Test(arguments: ["", "sunday", "sunday 24:00", "daily 02:60", "hourly :60", "someday 03:00", "daily 2", "hourly :-1", "daily ２:00", "weekly 03:00"])
    func refuses(text: String) {
        #expect(throws: ScheduleError.self) { try JobSchedule(parsing: text) }
    }

    @Test(arguments: [
        // 2026-03-15 is a Sunday.
        ("sunday 03:00", "2026-03-15T02:59:30Z", "2026-03-15T03:00:00Z"),
        ("sunday 03:00", "2026-03-15T03:00:00Z", "2026-03-22T03:00:00Z"),
        ("sunday 03:00", "2026-03-14T12:00:00Z", "2026-03-15T03:00:00Z"),
        ("monday 09:00", "2026-03-15T03:00:00Z", "2026-03-16T09:00:00Z"),
        ("daily 02:00", "2026-03-15T02:00:00Z", "2026-03-16T02:00:00Z"),
        ("daily 02:00", "2026-03-15T01:59:59Z", "2026-03-15T02:00:00Z"),
        ("hourly :05", "2026-03-15T02:05:00Z", "2026-03-15T03:05:00Z"),
        ("hourly :05", "2026-03-15T23:59:00Z", "2026-03-16T00:05:00Z"),
        ("daily 00:00", "2026-12-31T23:00:00Z", "2027-01-01T00:00:00Z"),
    ])
    func nextRunInUTC(schedule: String, after: String, next: String) throws {
        #expect(try JobSchedule(parsing: schedule).nextRun(after: Self.utc(after), in: Self.utcZone) == Self.utc(next))
    }

    /// Europe/Berlin: 2026-03-29 02:00 CET jumps to 03:00 CEST (01:00Z); 2026-10-25 03:00 CEST
    /// falls back to 02:00 CET (01:00Z).
    @Test(arguments: [
        // An ordinary day: 03:00 CET is 02:00Z.
        ("sunday 03:00", "2026-03-21T12:00:00Z", "2026-03-22T02:00:00Z"),
        // Skipped wall time: runs when the clock jumps, 03:00 CEST.
        ("daily 02:30", "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z"),
        ("sunday 02:30", "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z"),
        // ... and the next day as usual, 02:30 CEST.
        ("daily 02:30", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"),
        // Repeated wall time: once, at its first occurrence (CEST) ...
        ("daily 02:30", "2026-10-24T12:00:00Z", "2026-10-25T00:30:00Z"),
        // ... never at the second (CET): the next run is the next day.
        ("daily 02:30", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"),
        // Hourly: the repeated hour has its own run, one hour later.
        ("hourly :05", "2026-10-25T00:05:00Z", "2026-10-25T01:05:00Z"),
        // Hourly across the jump: 01:05 CET then 03:05 CEST, one hour apart.
        ("hourly :05", "2026-03-29T00:05:00Z", "2026-03-29T01:05:00Z"),
    ])
    func nextRunAcrossDaylightSavingTime(schedule: String, after: String, next: String) throws {
        #expect(try JobSchedule(parsing: schedule).nextRun(after: Self.utc(after), in: Self.berlin) == Self.utc(next))
    }

    /// A zone with a half-hour offset: hourly :05 local is :35 UTC.
    @Test func hourlyInAHalfHourZone() throws {
        let kolkata = try #require(TimeZone(identifier: "Asia/Kolkata"))
        #expect(JobSchedule.hourly(minute: 5).nextRun(after: Self.utc("2026-03-15T10:00:00Z"), in: kolkata) == Self.utc("2026-03-15T10:35:00Z"))
    }

    /// Every run is after the previous one, and a year of a weekly schedule in Berlin has 52 or 53 runs.
    @Test func runsAdvanceThroughAYear() {
        var runs: [Date] = []
        var after = Self.utc("2026-01-01T00:00:00Z")
        while after < Self.utc("2027-01-01T00:00:00Z") {
            after = JobSchedule.weekly(weekday: 1, hour: 2, minute: 30).nextRun(after: after, in: Self.berlin)
            runs.append(after)
        }
        #expect(zip(runs, runs.dropFirst()).allSatisfy { $1.timeIntervalSince($0) >= 6.9 * 86_400 })
        #expect((53...54).contains(runs.count))
    }

    // MARK: the plan

    @Test func sundayThreeOClockMakesActivityRetentionDue() {
        var plan = JobPlan(configuration: JobsConfiguration(), now: Self.utc("2026-03-15T02:59:00Z"))
        #expect(plan.due(at: Self.utc("2026-03-15T02:59:59Z")).isEmpty)
        let due = plan.due(at: Self.utc("2026-03-15T03:00:00Z"))
        #expect(due.map(\.job) == [.activityRetention] && due.first?.slot == Self.utc("2026-03-15T03:00:00Z"))
        plan.handled(.activityRetention, at: Self.utc("2026-03-15T03:00:02Z"))
        #expect(plan.next(.activityRetention) == Self.utc("2026-03-22T03:00:00Z"))
        // At 04:05 the hourly rollup (its 03:05 slot, not yet handled) and the metrics retention
        // (04:00) are due, earliest slot first.
        #expect(plan.due(at: Self.utc("2026-03-15T04:05:00Z")).map(\.job) == [.hourlyRollup, .systemMetricsRetention])
    }

    @Test func aMissedSlotRunsOnceAtStart() {
        // Last ran a week and a half ago: the slot in between was missed; it is due now, once.
        let now = Self.utc("2026-03-18T12:00:00Z")
        var plan = JobPlan(configuration: JobsConfiguration(), excluded: [.hourlyRollup], now: now,
                           lastRuns: [.activityRetention: Self.utc("2026-03-08T03:00:00Z"), .dailyRollup: Self.utc("2026-03-18T02:00:00Z")])
        #expect(plan.due(at: now).map(\.job) == [.activityRetention])
        #expect(plan.next(.hourlyRollup) == nil)
        plan.handled(.activityRetention, at: now)
        #expect(plan.next(.activityRetention) == Self.utc("2026-03-22T03:00:00Z"))
        #expect(plan.next(.dailyRollup) == Self.utc("2026-03-19T02:00:00Z"))
    }

    @Test func disabledJobsAreNotPlanned() {
        var configuration = JobsConfiguration()
        configuration.dailyRollup.enabled = false
        #expect(JobPlan(configuration: configuration, now: Date()).entries.map(\.job) == [.activityRetention, .systemMetricsRetention, .hourlyRollup, .weeklyReport])
    }
}
