import Foundation

/// One recorded run of a job: a row of `job_runs`.
public struct JobRun: Sendable, Equatable {
    /// How a run ended.
    public enum Outcome: String, Sendable, CaseIterable {
        /// The job did its work.
        case ok
        /// The job threw; `error` says why.
        case failed
        /// The job did not run: another instance held its lock (counted in the instance's
        /// metrics, never recorded), or, for `jobs run`, it reports why.
        case skipped
    }

    public var job: String
    /// The schedule's slot; `nil` for `trackingproxy jobs run`.
    public var scheduledFor: Date?
    public var startedAt: Date
    public var finishedAt: Date
    public var outcome: Outcome
    /// The figures as a JSON object.
    public var figuresJSON: String
    public var error: String?

    public init(job: String, scheduledFor: Date?, startedAt: Date, finishedAt: Date, outcome: Outcome, figuresJSON: String, error: String?) {
        self.job = job
        self.scheduledFor = scheduledFor
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.figuresJSON = figuresJSON
        self.error = error
    }
}

/// The latest runs of one job, as `system-health`, `jobs list` and the dashboard show them.
public struct JobHistory: Sendable, Equatable {
    /// The latest recorded run, whatever its outcome.
    public var lastRun: JobRun?
    /// The latest run that ended `ok`.
    public var lastSuccess: Date?
}
