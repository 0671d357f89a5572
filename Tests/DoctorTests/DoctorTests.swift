import ConfigValues
import Foundation
import Testing
@testable import Analytics
@testable import Doctor
@testable import PostgreSQL

/// `trackingproxy doctor` against real deployments: PostgreSQL, files and an upstream port.
@Suite struct DoctorTests {
    func run(_ deployment: Deployment, fix: Bool = false, days: Int? = nil) async -> DoctorReport {
        await Doctor(configurationPath: deployment.configurationPath, overrides: [], options: .init(fix: fix, rollupDays: days), logger: quietLogger).run()
    }

    func check(_ report: DoctorReport, _ name: String) throws -> DoctorCheck {
        try #require(report.checks.first { $0.name == name }, "no check \(name) in \(report.text)")
    }

    @Test func healthyDeploymentIsAllOK() async throws {
        let deployment = try await Deployment.make()
        let report = await run(deployment)
        #expect(report.exitCode == 0, "\(report.text)")
        #expect(report.checks.map(\.name) == [
            "configuration", "rules", "upstream", "spool", "analytics tokens", "database", "schema", "partitions",
            "job activity-retention", "job system-metrics-retention", "job hourly-rollup", "job daily-rollup", "job weekly-report", "heartbeats",
        ])
        #expect(report.checks.allSatisfy { $0.status == .ok && $0.fix == nil })
        #expect(try check(report, "analytics tokens").message.contains("1 manager"))
        await deployment.close()
    }

    @Test func oldSchemaIsAnErrorThatFixMigrates() async throws {
        let deployment = try await Deployment.make(migrations: Array(Migration.all.prefix(2)))
        let before = await run(deployment)
        #expect(before.exitCode == 2, "\(before.text)")
        let schema = try check(before, "schema")
        #expect(schema.status == .error && schema.message.contains("is at migration 2"), "\(schema)")
        #expect(schema.fix?.contains("--fix") == true)
        // What needs the current schema is not checked against an old one.
        #expect(!before.checks.contains { $0.name == "heartbeats" || $0.name.hasPrefix("job ") })

        let fixed = await run(deployment, fix: true)
        let migrated = try check(fixed, "schema")
        #expect(migrated.status == .ok && migrated.message.contains("applied migrations 3, 4, 5"), "\(fixed.text)")
        let versions = try await deployment.execute("SELECT version FROM trackingproxy_schema_migrations ORDER BY version").compactMap { $0.first ?? nil }
        #expect(versions == Migration.all.map { String($0.version) })
        #expect(!fixed.checks.contains { $0.status == .error }, "\(fixed.text)")
        // A new database: the jobs never ran and no sidecar has reported yet.
        #expect(try check(fixed, "job hourly-rollup").status == .warning)
        #expect(try check(fixed, "heartbeats").status == .warning)
        #expect(fixed.exitCode == 1)

        _ = try await deployment.execute(Deployment.healthyHistory)
        let after = await run(deployment)
        #expect(after.exitCode == 0, "\(after.text)")
        await deployment.close()
    }

    @Test func missingPartitionsAreFoundAndCreatedByFix() async throws {
        let deployment = try await Deployment.make()
        let now = Date()
        let current = MonthPartition(containing: now)
        _ = try await deployment.execute("DROP TABLE \(current.next.name)")
        let ahead = await run(deployment)
        #expect(try check(ahead, "partitions").status == .warning)
        #expect(try check(ahead, "partitions").message.contains(current.next.name))
        #expect(ahead.exitCode == 1)

        _ = try await deployment.execute("DROP TABLE \(current.name)")
        let missing = await run(deployment)
        let partitions = try check(missing, "partitions")
        #expect(partitions.status == .error && partitions.message.contains("this month's rows cannot be stored"), "\(partitions)")
        #expect(missing.exitCode == 2)

        let fixed = await run(deployment, fix: true)
        #expect(try check(fixed, "partitions").message == "created \(current.name), \(current.next.name)", "\(fixed.text)")
        #expect(await run(deployment).exitCode == 0)
        await deployment.close()
    }

    @Test func staleHeartbeatIsAWarning() async throws {
        let deployment = try await Deployment.make()
        _ = try await deployment.execute("""
            INSERT INTO trackingproxy_instances (instance_id, hostname, version, started_at, heartbeat_at)
            VALUES ('sidecar-gone', 'host-b', 'test', now() - interval '2 hours', now() - interval '10 minutes')
            """)
        let report = await run(deployment)
        let heartbeats = try check(report, "heartbeats")
        #expect(heartbeats.status == .warning)
        #expect(heartbeats.message.contains("1 of 2 sidecars") && heartbeats.message.contains("sidecar-gone on host-b"), "\(heartbeats)")
        #expect(!heartbeats.message.contains("sidecar-1"))
        #expect(report.exitCode == 1)
        await deployment.close()
    }

    @Test func failedLastJobIsAWarning() async throws {
        let deployment = try await Deployment.make()
        _ = try await deployment.execute("""
            INSERT INTO job_runs (job, started_at, finished_at, outcome, error)
            VALUES ('daily-rollup', now() + interval '1 second', now() + interval '2 seconds', 'failed', 'disk full')
            """)
        let report = await run(deployment)
        let job = try check(report, "job daily-rollup")
        #expect(job.status == .warning && job.message.contains("failed: disk full"), "\(job)")
        #expect(job.fix?.contains("trackingproxy jobs run daily-rollup") == true)
        #expect(try check(report, "job hourly-rollup").status == .ok)
        #expect(report.exitCode == 1)
        await deployment.close()
    }

    @Test func rulesFileIsCheckedAsRulesCheckDoes() async throws {
        let deployment = try await Deployment.make()
        try Deployment.rules.replacingOccurrences(of: "    activity: download_invoice", with: "    activity: download_invoice\n    enabled: false")
            .write(toFile: deployment.rulesPath, atomically: true, encoding: .utf8)
        let disabled = try check(await run(deployment), "rules")
        #expect(disabled.status == .warning && disabled.message.contains("`invoice-download` is disabled"), "\(disabled)")
        #expect(disabled.fix == "run `trackingproxy rules check \(deployment.rulesPath)` and resolve the warnings")

        try "version: 1\nrules: [{id: x}]\n".write(toFile: deployment.rulesPath, atomically: true, encoding: .utf8)
        let broken = await run(deployment)
        #expect(try check(broken, "rules").status == .error, "\(broken.text)")
        #expect(try check(broken, "rules").message.contains(deployment.rulesPath))
        #expect(broken.exitCode == 2)
        await deployment.close()
    }

    @Test func unwritableSpoolIsAnError() async throws {
        let deployment = try await Deployment.make()
        // Root may write anywhere a mode allows nothing, so the spool path is a file instead.
        let file = deployment.directory.appendingPathComponent("not-a-directory").path
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        for spool in [file, file + "/spool"] {
            try deployment.writeConfiguration(spool: spool)
            let report = await run(deployment)
            let spoolCheck = try check(report, "spool")
            #expect(spoolCheck.status == .error, "\(spool): \(spoolCheck)")
            #expect(spoolCheck.fix?.contains("ingest.spool.dir") == true)
            #expect(report.exitCode == 2)
        }
        await deployment.close()
    }

    @Test func spoolSizeIsReported() async throws {
        let deployment = try await Deployment.make()
        try Data(count: 3_000).write(to: URL(fileURLWithPath: deployment.spoolPath + "/segment-1.spool"))
        let report = await run(deployment)
        let spoolCheck = try check(report, "spool")
        #expect(spoolCheck.status == .ok && spoolCheck.message.contains("1 segment, "), "\(spoolCheck)")
        #expect(!FileManager.default.fileExists(atPath: deployment.spoolPath + "/.trackingproxy-doctor-\(getpid())"))
        await deployment.close()
    }

    @Test func unreachableUpstreamIsAnError() async throws {
        let deployment = try await Deployment.make()
        let port = deployment.upstreamPort
        try await deployment.upstream.close()
        try deployment.writeConfiguration(upstreamPort: port)
        let report = await run(deployment)
        let upstream = try check(report, "upstream")
        #expect(upstream.status == .error && upstream.message.contains("127.0.0.1:\(port) does not accept connections"), "\(upstream)")
        #expect(report.exitCode == 2)
        await deployment.close()
    }

    @Test func unreachableDatabaseIsAnErrorAndSkipsWhatNeedsIt() async throws {
        let deployment = try await Deployment.make()
        // Nothing listens on port 1: the connection is refused at once.
        try deployment.writeConfiguration(databaseURL: "host=127.0.0.1 port=1 dbname=none connect_timeout=2")
        let report = await run(deployment)
        #expect(try check(report, "database").status == .error)
        #expect(!report.checks.contains { $0.name == "schema" })
        #expect(report.exitCode == 2)
        await deployment.close()
    }

    @Test func invalidConfigurationStopsTheChecks() async throws {
        let deployment = try await Deployment.make()
        try deployment.writeConfiguration(extra: "jobs:\n  no_such_job: {}\n")
        let report = await run(deployment)
        #expect(report.checks.count == 1)
        #expect(report.checks.first?.name == "configuration")
        #expect(report.checks.first?.message.contains("jobs.no_such_job") == true, "\(report.text)")
        #expect(report.exitCode == 2)
        await deployment.close()
    }

    @Test func daysWithFixBuildsTheRollups() async throws {
        let deployment = try await Deployment.make()
        // Yesterday's UTC day may lie in last month, which has no partition yet.
        let yesterday = Date().addingTimeInterval(-86_400)
        _ = try await deployment.execute(MonthPartition(containing: yesterday).createStatement)
        _ = try await deployment.execute("""
            INSERT INTO activity (id, occurred_at, user_id, activity_type)
            SELECT gen_random_uuid(), date_trunc('day', now() - interval '1 day', 'UTC') + interval '1 hour', user_id, 'login'
            FROM unnest(ARRAY['alice', 'bob', 'alice']) AS user_id
            """)
        let report = await run(deployment, fix: true, days: 2)
        let rollups = try check(report, "rollups")
        #expect(rollups.status == .ok && rollups.message.hasPrefix("last 2 days:"), "\(rollups)")
        let rows = try await deployment.execute("SELECT sum(rows) FROM activity_daily WHERE day = ((now() AT TIME ZONE 'UTC') - interval '1 day')::date")
        #expect(rows.first?.first == "3")
        #expect(try await deployment.execute("SELECT count(*) FROM activity_daily_days").first?.first == "2")
        await deployment.close()
    }

    @Test func rollupsWaitForAJobRunningElsewhere() async throws {
        let deployment = try await Deployment.make()
        // Another process (an analytics service) is running daily-rollup: it holds the job's lock.
        let other = try await PostgresConnection.connect(url: Secret(deployment.databaseURL))
        try await other.execute("SELECT pg_advisory_lock(\(Job.dailyRollup.lockKey))")
        let busy = try check(await run(deployment, fix: true, days: 1), "rollups")
        #expect(busy.status == .warning && busy.message.contains("daily-rollup is running now"), "\(busy)")
        #expect(try await deployment.execute("SELECT count(*) FROM activity_daily_days").first?.first == "0")
        await other.close()
        // The doctor released the lock it took (hourly-rollup's): another session can take it.
        let free = try await deployment.execute("SELECT pg_try_advisory_lock(\(Job.hourlyRollup.lockKey))")
        #expect(free.first?.first == "t")
        #expect(try check(await run(deployment, fix: true, days: 1), "rollups").status == .ok)
        await deployment.close()
    }

    @Test func jsonHasOneObjectWithEveryCheck() async throws {
        let deployment = try await Deployment.make()
        try await deployment.upstream.close()
        let report = await run(deployment)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["status", "checks"])
        #expect(object["status"] as? String == "error")
        let checks = try #require(object["checks"] as? [[String: Any]])
        #expect(checks.count == report.checks.count)
        for (json, check) in zip(checks, report.checks) {
            #expect(Set(json.keys) == ["name", "status", "message", "fix"])
            #expect(json["name"] as? String == check.name)
            #expect(json["status"] as? String == check.status.rawValue)
            #expect(json["message"] as? String == check.message)
            if check.status == .ok { #expect(json["fix"] is NSNull) } else { #expect(json["fix"] as? String == check.fix) }
        }
        #expect(report.json.hasSuffix("}\n") && report.json.split(separator: "\n").count == 1)
        await deployment.close()
    }
}
