import Prometheus

/// The jobs' figures on the analytics service's `/metrics`:
/// `trackingproxy_job_runs_total{job,outcome}` (every run of this instance, `skipped` when
/// another instance held the lock) and `trackingproxy_job_last_success_timestamp_seconds{job}`
/// (the latest `ok` run of any instance, from `job_runs` at start, then this instance's).
public struct JobMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry

    // Computed: `MetricNameDescriptor` is not `Sendable`, so it cannot be a stored static.
    static var runs: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "trackingproxy", metricName: "job_runs", unitName: "total",
            helpText: "Runs of the analytics service's scheduled jobs by this instance, by outcome (skipped: another instance held the lock).")
    }
    static var lastSuccess: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "trackingproxy", metricName: "job_last_success_timestamp", unitName: "seconds",
            helpText: "Unix time of the job's latest successful run (any instance's, as of this instance's start).")
    }

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        for job in Job.allCases {
            for outcome in JobRun.Outcome.allCases { _ = counter(job, outcome) }
        }
    }

    private func counter(_ job: Job, _ outcome: JobRun.Outcome) -> Counter {
        registry.makeCounter(descriptor: Self.runs, labels: [("job", job.rawValue), ("outcome", outcome.rawValue)])
    }

    /// Counts one run.
    public func count(_ job: Job, _ outcome: JobRun.Outcome) {
        counter(job, outcome).increment()
    }

    /// Sets the time of the latest successful run.
    public func succeeded(_ job: Job, at seconds: Double) {
        registry.makeGauge(descriptor: Self.lastSuccess, labels: [("job", job.rawValue)]).set(to: seconds)
    }
}
