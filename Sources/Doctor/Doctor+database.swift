import Analytics
import DeploymentConfiguration
import Foundation
import PostgreSQL

extension Doctor {
    /// The checks that need PostgreSQL, on one connection (libpq on its own thread).
    func checkDatabase(_ configuration: ProxyConfiguration) async -> [DoctorCheck] {
        let database = configuration.ingest.database
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                url: database.url, connectTimeout: database.connectTimeout, applicationName: "trackingproxy-doctor")
        } catch {
            return [DoctorCheck("database", .error, "PostgreSQL cannot be reached: \(error)",
                                fix: "start PostgreSQL, or set ingest.database.url (or --database-url, or the PG* variables) to where it runs")]
        }
        var checks = [DoctorCheck("database", .ok, "connected to \(connection.target)")]
        let schema = await checkSchema(connection)
        checks.append(schema)
        if schema.status != .error {
            checks.append(await checkPartitions(connection))
            let store = ActivityStore(connection: connection)
            if let days = options.rollupDays, options.fix {
                checks.append(await buildRollups(store, on: connection, days: days))
            }
            checks += await checkJobs(store, retention: configuration.retention)
            checks.append(await checkHeartbeats(store, heartbeatInterval: configuration.ingest.heartbeatInterval.seconds))
        }
        await connection.close()
        return checks
    }

    /// Every migration of this version is applied (`fix`: applies them with `Migrator`).
    func checkSchema(_ connection: PostgresConnection) async -> DoctorCheck {
        let known = Set(Migration.all.map(\.version))
        let applied: Set<Int>
        do {
            applied = try await Self.appliedVersions(connection)
        } catch {
            return DoctorCheck("schema", .error, "the applied migrations cannot be read: \(error)",
                               fix: "check that the database user may read \(Migrator.versionTable)")
        }
        let missing = known.subtracting(applied).sorted()
        if !missing.isEmpty, options.fix {
            do {
                let done = try await Migrator(logger: logger).migrate(connection)
                return DoctorCheck("schema", .ok, "migrated: applied migration\(done.count == 1 ? "" : "s") \(done.map(String.init).joined(separator: ", "))")
            } catch {
                return DoctorCheck("schema", .error, "migrating failed: \(error)", fix: "fix what the message says, then run `trackingproxy db migrate`")
            }
        }
        if !missing.isEmpty {
            let state = applied.isEmpty ? "has no trackingproxy schema" : "is at migration \(applied.max() ?? 0)"
            return DoctorCheck("schema", .error, "the database \(state); this version needs migration\(missing.count == 1 ? "" : "s") \(missing.map(String.init).joined(separator: ", "))",
                               fix: "run `trackingproxy doctor --fix` or `trackingproxy db migrate`")
        }
        let newer = applied.subtracting(known).sorted()
        if !newer.isEmpty {
            return DoctorCheck("schema", .warning, "the database has migration\(newer.count == 1 ? "" : "s") \(newer.map(String.init).joined(separator: ", ")) that this version does not know",
                               fix: "run the trackingproxy version that migrated it (upgrade this one)")
        }
        return DoctorCheck("schema", .ok, "current (migration \(known.max() ?? 0))")
    }

    /// The versions recorded in the migrations table; empty when it does not exist.
    static func appliedVersions(_ connection: PostgresConnection) async throws -> Set<Int> {
        let exists = try await connection.execute("SELECT to_regclass('\(Migrator.versionTable)') IS NOT NULL", operation: "doctor: schema")
        guard exists.first?.first == "t" else { return [] }
        let rows = try await connection.execute("SELECT version FROM \(Migrator.versionTable)", operation: "doctor: schema")
        return Set(rows.compactMap { $0.first.flatMap { $0.flatMap { Int($0) } } })
    }

    /// A partition of `activity` for this month and each of the months ahead the sidecars create
    /// (`fix`: creates the missing ones). This month's missing is an error: rows of now fail.
    func checkPartitions(_ connection: PostgresConnection) async -> DoctorCheck {
        let wanted = MonthPartition.window(from: now(), count: Partitions.monthsAhead)
        let existing: Set<String>
        do {
            existing = try await Self.partitionNames(connection)
        } catch {
            return DoctorCheck("partitions", .error, "the partitions of activity cannot be listed: \(error)", fix: "run `trackingproxy db migrate`")
        }
        let missing = wanted.filter { !existing.contains($0.name) }
        guard !missing.isEmpty else {
            return DoctorCheck("partitions", .ok, "\(wanted.map(\.name).joined(separator: ", ")) exist")
        }
        if options.fix {
            do {
                try await connection.run { session in
                    var partitions = Partitions()
                    try partitions.ensure(Set(missing), session: session)
                }
                return DoctorCheck("partitions", .ok, "created \(missing.map(\.name).joined(separator: ", "))")
            } catch {
                return DoctorCheck("partitions", .error, "creating \(missing.map(\.name).joined(separator: ", ")) failed: \(error)",
                                   fix: "check that the database user may create tables, then run `trackingproxy db migrate`")
            }
        }
        let names = missing.map(\.name).joined(separator: ", ")
        let current = missing.contains(MonthPartition(containing: now()))
        return DoctorCheck("partitions", current ? .error : .warning,
                           current ? "\(names) missing: this month's rows cannot be stored" : "\(names) missing: the months ahead are not ready",
                           fix: "run `trackingproxy doctor --fix` or `trackingproxy db migrate` (a sidecar also creates them at start)")
    }

    /// The names of `activity`'s partitions.
    static func partitionNames(_ connection: PostgresConnection) async throws -> Set<String> {
        let rows = try await connection.execute("""
            SELECT child.relname FROM pg_inherits
            JOIN pg_class child ON child.oid = pg_inherits.inhrelid
            WHERE pg_inherits.inhparent = to_regclass('activity')
            """, operation: "doctor: partitions")
        return Set(rows.compactMap { $0.first ?? nil })
    }

    /// `--days N --fix`: the daily rollups of the last `days` whole days, and the hourly rollup
    /// of those hours checked and repaired (the daily-rollup and hourly-rollup jobs' work), under
    /// the two jobs' advisory locks, so that an analytics service never runs them at the same time.
    func buildRollups(_ store: ActivityStore, on connection: PostgresConnection, days: Int) async -> DoctorCheck {
        let bounded = min(max(days, Self.allowedRollupDays.lowerBound), Self.allowedRollupDays.upperBound)
        var locked: [Job] = []
        let check: DoctorCheck
        do {
            check = try await buildRollupsLocking(store, on: connection, days: bounded, locked: &locked)
        } catch {
            check = DoctorCheck("rollups", .error, "building the rollups of the last \(bounded) days failed: \(error)",
                                fix: "fix what the message says, then run `trackingproxy jobs run daily-rollup`")
        }
        // Session locks: closing the connection releases them too, should an unlock fail.
        for job in locked.reversed() {
            _ = try? await connection.execute("SELECT pg_advisory_unlock(\(job.lockKey))", operation: "doctor: unlock \(job.rawValue)")
        }
        return check
    }

    /// Takes the two jobs' locks (recording each in `locked`), then builds; a lock held by another
    /// process is a warning and nothing is built.
    private func buildRollupsLocking(
        _ store: ActivityStore, on connection: PostgresConnection, days: Int, locked: inout [Job]
    ) async throws -> DoctorCheck {
        for job in [Job.hourlyRollup, .dailyRollup] {
            let rows = try await connection.execute("SELECT pg_try_advisory_lock(\(job.lockKey))", operation: "doctor: lock \(job.rawValue)")
            guard rows.first?.first == "t" else {
                return DoctorCheck("rollups", .warning, "not built: \(job.rawValue) is running now (another process holds its lock)",
                                   fix: "run doctor --fix --days \(days) again once the job has finished")
            }
            locked.append(job)
        }
        let hourly = try await store.verifyHourlyRollup(hours: days * 24, now: now(), dryRun: false)
        let daily = try await store.computeDailyRollup(days: days, now: now(), dryRun: false)
        return DoctorCheck("rollups", .ok, "last \(days) day\(days == 1 ? "" : "s"): \(hourly.summary); \(daily.summary)")
    }
}
