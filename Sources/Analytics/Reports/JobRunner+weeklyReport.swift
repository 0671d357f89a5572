import Foundation

extension JobRunner {
    /// The `weekly-report` job: the report of the last complete ISO week before `now`, written to
    /// `reports.directory` (Markdown, HTML, JSON), then posted to `reports.webhook_url` when set.
    /// The files are written before the POST, so a webhook that fails for good (the run is then
    /// `failed`, with `ReportError.webhookFailed` in `job_runs.error`) leaves them in place.
    /// A dry run computes the report and writes and posts nothing.
    func writeWeeklyReport(store: ActivityStore, now: Date, dryRun: Bool) async throws -> JobReport {
        let week = ISOWeek.lastComplete(before: now)
        let report = try await store.weeklyReport(week: week, now: now)
        let target = reports.webhookURL.flatMap { WebhookAddress($0.value)?.redacted }
        let figures: [JobReport.Figure] = [
            .init("total", report.total), .init("previous_total", report.previousTotal), .init("active_users", report.users.active),
        ]
        if dryRun {
            return JobReport(summary: "would write the report of \(week) (\(report.total) activities) to \(reports.directory)"
                             + (target.map { " and post it to \($0)" } ?? ""), figures: figures)
        }
        let paths = try await ReportFiles(directory: reports.directory).write(report)
        var attempts = 0
        if let url = reports.webhookURL {
            attempts = try await WebhookDelivery(configuration: reports, url: url, logger: logger).post(report.json)
        }
        return JobReport(summary: "wrote the report of \(week) (\(report.total) activities) to \(paths.joined(separator: ", "))"
                         + (target.map { ", posted to \($0) in \(attempts) attempt\(attempts == 1 ? "" : "s")" } ?? ""),
                         figures: figures + [.init("files", paths.count), .init("webhook_attempts", attempts)])
    }
}
