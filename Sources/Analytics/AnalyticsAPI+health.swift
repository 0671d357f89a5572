import JSONWriting
import Foundation
import Hummingbird

extension AnalyticsAPI {
    /// `GET /api/v1/analytics/system-health/` (admin and manager tokens only).
    ///
    /// Always 200 for an admin: when the database cannot be reached, `database.reachable` is
    /// false, its figures are `null` and `status` is `degraded`.
    /// `instances` lists every sidecar's last heartbeat, newest first (`null` when unreadable);
    /// `jobs` every scheduled job with its schedule, next run, last run and last success.
    /// A sidecar whose last heartbeat is older than this (seconds) counts as gone for the totals.
    static let liveInstanceAge = 60.0
    /// The window of `traffic` and `error_rate`: the last hour of `system_metrics`.
    static let trafficWindow = 3_600.0

    func systemHealth(_ request: Request) async throws(AnalyticsProblem) -> Response {
        let access = try authenticate(request)
        guard access.readsEverything else { throw .forbidden("system health is for admin and manager tokens only") }
        let now = now()
        let runtime = await runtimeFigures()
        let figures: DatabaseFigures?
        do {
            figures = try await pool.withStore { try await $0.databaseFigures(now: now) }
        } catch {
            logger.warning("system health: database unreachable", metadata: ["error.message": "\(error)"])
            figures = nil
        }
        // Read apart from the figures: a database not yet migrated to the heartbeat table still
        // shows its figures. Not tried when the database is unreachable (a second connect timeout).
        var instances: [InstanceHeartbeat]?
        var histories: [Job: JobHistory]?
        var traffic: TrafficFigures?
        var tables: [(table: String, bytes: Int64)]?
        if figures != nil {
            do {
                traffic = try await pool.withStore { try await $0.trafficFigures(since: now.addingTimeInterval(-Self.trafficWindow), until: now) }
            } catch {
                logger.warning("system health: system metrics unreadable", metadata: ["error.message": "\(error)"])
            }
            do {
                tables = try await pool.withStore { try await $0.tableSizes() }
            } catch {
                logger.warning("system health: table sizes unreadable", metadata: ["error.message": "\(error)"])
            }
            do {
                instances = try await pool.withStore { try await $0.fetchInstances() }
            } catch {
                logger.warning("system health: instances unreadable", metadata: ["error.message": "\(error)"])
            }
            do {
                histories = try await pool.withStore { try await $0.jobHistories() }
            } catch {
                logger.warning("system health: job runs unreadable", metadata: ["error.message": "\(error)"])
            }
        }
        var database = JSONText.Object()
        database.add("reachable", raw: figures == nil ? "false" : "true")
        database.add("size_bytes", raw: figures.map { String($0.databaseBytes) })
        database.add("tables", raw: tables.map { tables in
            JSONText.array(tables.map { table in
                var object = JSONText.Object()
                object.add("table", string: table.table)
                object.add("size_bytes", raw: String(table.bytes))
                return object.text
            })
        })
        // The analytics service writes nothing: what waits to be stored is what the sidecars
        // heard from in the last minute reported, summed (wrapping: the rows are outside input).
        let live = instances?.filter { $0.ageSeconds < Self.liveInstanceAge }
        var ingest = JSONText.Object()
        ingest.add("queue_depth", raw: live.map { String($0.reduce(Int64(0)) { $0 &+ $1.queueDepth }) })
        ingest.add("spool_bytes", raw: live.map { String($0.reduce(Int64(0)) { $0 &+ $1.spoolBytes }) })
        ingest.add("live_instances", raw: live.map { String($0.count) })
        var object = JSONText.Object()
        object.add("status", string: figures == nil ? "degraded" : "ok")
        object.add("checked_at", string: now.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        object.add("database", raw: database.text)
        object.add("ingest", raw: ingest.text)
        object.add("rows_today", raw: figures.map { String($0.rowsToday) })
        object.add("active_users_today", raw: figures.map { String($0.activeUsersToday) })
        object.add("active_users_this_week", raw: figures.map { String($0.activeUsersThisWeek) })
        // The sidecars' last hour (`system_metrics`): null without a request, or unreadable.
        object.add("error_rate", raw: traffic?.errorRate.map(JSONText.number))
        object.add("traffic", raw: traffic?.json)
        object.add("uptime_seconds", raw: JSONText.number(runtime.uptimeSeconds.rounded()))
        object.add("instances", raw: instances.map { JSONText.array($0.map(\.json)) })
        // Every job, its schedule and next run; `last_run` and `last_success` null when `job_runs`
        // is unreadable (or the job never ran).
        object.add("jobs", raw: JSONText.array(jobStatuses(histories: histories, now: now).map(\.json)))
        return AnalyticsResponse.json(object.text)
    }

    /// Every job's status at `now`, with `histories` from `job_runs`.
    func jobStatuses(histories: [Job: JobHistory]?, now: Date) -> [JobStatus] {
        JobStatus.all(configuration: jobs, unavailable: unavailableJobs, retention: retention, histories: histories, now: now)
    }
}
