import Analytics
import Foundation

extension Doctor {
    /// One check per job: its last run ended ok. Never ran or failed last time: a warning. A job
    /// the configuration turns off (activity-retention without `retention.days`) is ok, saying so.
    func checkJobs(_ store: ActivityStore, retention: RetentionConfiguration) async -> [DoctorCheck] {
        let histories: [Job: JobHistory]
        do {
            histories = try await store.jobHistories()
        } catch {
            return [DoctorCheck("jobs", .error, "job_runs cannot be read: \(error)", fix: "run `trackingproxy doctor --fix` or `trackingproxy db migrate`")]
        }
        return Job.allCases.map { job in
            let name = "job \(job.rawValue)"
            if let reason = job.unavailableReason(retention: retention) {
                return DoctorCheck(name, .ok, "off: \(reason)")
            }
            guard let run = histories[job]?.lastRun else {
                return DoctorCheck(name, .warning, "has never run",
                                   fix: "run `trackingproxy analytics serve` (it runs the jobs on schedule), or `trackingproxy jobs run \(job.rawValue)` now")
            }
            let when = run.startedAt.formatted(.iso8601)
            switch run.outcome {
            case .failed:
                return DoctorCheck(name, .warning, "the last run (\(when)) failed: \(run.error ?? "no error recorded")",
                                   fix: "correct the cause, then run `trackingproxy jobs run \(job.rawValue)`")
            default:
                return DoctorCheck(name, .ok, "last run \(when): \(run.outcome.rawValue)")
            }
        }
    }

    /// Every sidecar that published a heartbeat did so recently: within three heartbeat
    /// intervals, and at least a minute (the age `system-health` counts a sidecar gone after).
    func checkHeartbeats(_ store: ActivityStore, heartbeatInterval: Double) async -> DoctorCheck {
        let instances: [InstanceHeartbeat]
        do {
            instances = try await store.fetchInstances()
        } catch {
            return DoctorCheck("heartbeats", .error, "trackingproxy_instances cannot be read: \(error)", fix: "run `trackingproxy doctor --fix` or `trackingproxy db migrate`")
        }
        guard !instances.isEmpty else {
            return DoctorCheck("heartbeats", .warning, "no sidecar has published a heartbeat to this database",
                               fix: "start the sidecars (`trackingproxy serve`) with this ingest.database.url")
        }
        let staleAfter = max(60, 3 * heartbeatInterval)
        let stale = instances.filter { $0.ageSeconds > staleAfter }
        guard stale.isEmpty else {
            let list = stale.prefix(5).map { "\($0.instanceID) on \($0.hostname) (\(Int(min($0.ageSeconds, 1e9).rounded(.down)))s ago)" }.joined(separator: ", ")
            return DoctorCheck("heartbeats", .warning,
                               "\(stale.count) of \(instances.count) sidecar\(instances.count == 1 ? "" : "s") silent for more than \(Int(staleAfter))s: \(list)",
                               fix: "check that those sidecars run and reach PostgreSQL (their /readyz and logs); rows of sidecars gone for 7 days are removed")
        }
        return DoctorCheck("heartbeats", .ok, "\(instances.count) sidecar\(instances.count == 1 ? "" : "s") alive (last heartbeat within \(Int(staleAfter))s)")
    }
}
