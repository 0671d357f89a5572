import Foundation
import PostgreSQL

extension ActivityStore {
    /// Records a run in `job_runs`. A second row for the same scheduled slot is refused by the
    /// table's unique index and ignored (another instance recorded it first).
    public func record(_ run: JobRun, instance: String) async throws {
        try await connection.execute("""
            INSERT INTO job_runs (job, scheduled_for, started_at, finished_at, outcome, figures, error, instance)
            VALUES ($1, $2::timestamptz, $3::timestamptz, $4::timestamptz, $5, $6::jsonb, $7, $8)
            ON CONFLICT DO NOTHING
            """, parameters: [
                run.job, run.scheduledFor.map(SQLTime.text), SQLTime.text(run.startedAt), SQLTime.text(run.finishedAt),
                run.outcome.rawValue, run.figuresJSON, run.error.map { String($0.prefix(4_000)) }, instance,
            ], operation: "job_runs: record")
    }

    /// Whether `job`'s run for the slot `scheduledFor` is recorded already (by any instance).
    public func hasRun(_ job: Job, scheduledFor: Date) async throws -> Bool {
        let rows = try await connection.execute(
            "SELECT 1 FROM job_runs WHERE job = $1 AND scheduled_for = $2::timestamptz AND outcome <> 'skipped' LIMIT 1",
            parameters: [job.rawValue, SQLTime.text(scheduledFor)], operation: "job_runs: slot")
        return !rows.isEmpty
    }

    /// Each job's latest run and latest success.
    public func jobHistories() async throws -> [Job: JobHistory] {
        let rows = try await connection.execute("""
            SELECT j.job, extract(epoch FROM r.scheduled_for), extract(epoch FROM r.started_at), extract(epoch FROM r.finished_at),
                   r.outcome, r.figures::text, r.error,
                   extract(epoch FROM (SELECT max(finished_at) FROM job_runs s WHERE s.job = j.job AND s.outcome = 'ok'))
            FROM unnest($1::text[]) AS j(job)
            LEFT JOIN LATERAL (SELECT * FROM job_runs WHERE job = j.job ORDER BY started_at DESC, id DESC LIMIT 1) r ON true
            """, parameters: ["{" + Job.allCases.map(\.rawValue).joined(separator: ",") + "}"], operation: "job_runs: latest")
        var histories: [Job: JobHistory] = [:]
        for row in rows where row.count == 8 {
            guard let name = row[0], let job = Job(rawValue: name) else { continue }
            var history = JobHistory()
            if let started = row[2].flatMap(Self.epochDate), let finished = row[3].flatMap(Self.epochDate),
               let outcome = row[4].flatMap(JobRun.Outcome.init(rawValue:)) {
                history.lastRun = JobRun(job: name, scheduledFor: row[1].flatMap(Self.epochDate), startedAt: started, finishedAt: finished,
                                         outcome: outcome, figuresJSON: row[5] ?? "{}", error: row[6])
            }
            history.lastSuccess = row[7].flatMap(Self.epochDate)
            histories[job] = history
        }
        return histories
    }

    /// A date from `extract(epoch FROM ...)`; nil for NULL or anything but a finite number.
    static func epochDate(_ text: String) -> Date? {
        guard let seconds = Double(text), seconds.isFinite else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }
}
