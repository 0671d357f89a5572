import Analytics
import ConfigValues
import Foundation
import Testing

@testable import DeploymentConfiguration

/// Issue 12: the `jobs:` section, read by the one loader; its problems at their file positions.
@Suite struct JobsConfigurationTests {
    @Test func defaultsAreTheOldCelerySchedule() throws {
        let jobs = try ConfigurationLoaderTests.load("").jobs
        #expect(jobs.activityRetention.schedule == .weekly(weekday: 1, hour: 3, minute: 0))
        #expect(jobs.systemMetricsRetention.schedule == .weekly(weekday: 1, hour: 4, minute: 0) && jobs.systemMetricsRetention.days == 30)
        #expect(jobs.hourlyRollup.schedule == .hourly(minute: 5) && jobs.hourlyRollup.hours == 24)
        #expect(jobs.dailyRollup.schedule == .daily(hour: 2, minute: 0) && jobs.dailyRollup.days == 3)
        #expect(jobs.timeZone == "UTC" && jobs.zone(of: .dailyRollup).secondsFromGMT(for: Date()) == 0)
    }

    @Test func aFileSetsSchedulesZonesAndFigures() throws {
        let jobs = try ConfigurationLoaderTests.load("""
            jobs:
              time_zone: Europe/Berlin
              activity_retention: {schedule: "Sat 23:30"}
              system_metrics_retention: {days: 7, enabled: false}
              daily_rollup: {schedule: "daily 01:00", time_zone: America/New_York, days: 10}
            """).jobs
        #expect(jobs.activityRetention.schedule == .weekly(weekday: 7, hour: 23, minute: 30))
        #expect(jobs.zone(of: .activityRetention).identifier == "Europe/Berlin")
        #expect(jobs.systemMetricsRetention.days == 7 && !jobs.systemMetricsRetention.enabled)
        #expect(jobs.dailyRollup.schedule == .daily(hour: 1, minute: 0) && jobs.dailyRollup.days == 10)
        #expect(jobs.zone(of: .dailyRollup).identifier == "America/New_York")
        // Re-rendered and loaded again, the same values.
        let rendered = ConfigurationLoader<ProxyConfiguration>.render(try ConfigurationLoaderTests.load("jobs: {hourly_rollup: {schedule: 'hourly :45'}}"))
        #expect(try ConfigurationLoaderTests.load(rendered).jobs.hourlyRollup.schedule == .hourly(minute: 45))
    }

    @Test(arguments: [
        ("jobs:\n  daily_rollup:\n    time_zone: Mars/Olympus\n", "jobs.daily_rollup.time_zone", ":3:16", "tz database name"),
        ("jobs:\n  time_zone: Nowhere\n", "jobs.time_zone", ":2:14", "Europe/Berlin"),
        ("jobs:\n  hourly_rollup:\n    hours: 0\n", "jobs.hourly_rollup.hours", ":3:12", "1 to 8760"),
        ("jobs:\n  activity_retention:\n    schedule: \"someday 3am\"\n", "jobs.activity_retention.schedule", ":3:15", "hourly :MM"),
        ("jobs:\n  activity_retention:\n    hours: 5\n", "jobs.activity_retention.hours", ":3:5", "unknown key"),
        ("retention:\n  interval: 24h\n", "retention.interval", ":2:13", "jobs.activity_retention.schedule"),
    ])
    func problemIsReportedAtItsKey(yaml: String, keyPath: String, position: String, words: String) throws {
        let error = try #require(try ConfigurationLoaderTests.error(yaml))
        #expect(error.keyPath == keyPath, "\(error)")
        #expect(error.source?.hasSuffix(position) == true, "\(error)")
        #expect("\(error)".contains(words), "\(error)")
    }
}
