import ConfigValues
import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
@testable import Analytics
@testable import PostgreSQL

/// A deployment for the doctor to check, all real: a fresh database on the test cluster started
/// by `scripts/pg.sh start` (found through the `PG*` variables or `<package>/.pgdata/env`; the
/// tests fail, never skip, without it), a rules file, a spool directory, an upstream listening
/// on a port of its own, and a configuration file naming them.
struct Deployment {
    let directory: URL
    let databaseURL: String
    let upstream: any Channel

    var configurationPath: String { directory.appendingPathComponent("config.yaml").path }
    var rulesPath: String { directory.appendingPathComponent("rules.yaml").path }
    var spoolPath: String { directory.appendingPathComponent("spool").path }
    var upstreamPort: Int { upstream.localAddress?.port ?? 0 }

    /// One rule, tested by nothing (the doctor does not ask for tests beside the file).
    static let rules = """
        version: 1
        rules:
          - id: invoice-download
            description: Records an invoice being downloaded.
            activity: download_invoice
            match:
              methods: [GET]
              path: /billing/invoices/{invoice_id}/pdf/

        """

    /// What a healthy deployment's tables hold: an ok run of every job (all of `Job.allCases`, so
    /// a new job needs no edit here) a minute ago, and one live sidecar's heartbeat.
    static var healthyHistory: String {
        let jobs = Job.allCases.map { "('\($0.rawValue)')" }.joined(separator: ", ")
        return """
            INSERT INTO job_runs (job, started_at, finished_at, outcome)
                SELECT job, now() - interval '1 minute', now(), 'ok' FROM (VALUES \(jobs)) AS jobs (job);
            INSERT INTO trackingproxy_instances (instance_id, hostname, version, started_at, heartbeat_at)
                VALUES ('sidecar-1', 'host-a', 'test', now(), now())
            """
    }

    /// A healthy deployment: every migration applied, every job's last run ok, one live sidecar.
    /// `migrations` other than all of them leave the schema behind (and seed nothing).
    static func make(migrations: [Migration] = Migration.all) async throws -> Deployment {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("spool"), withIntermediateDirectories: true)
        try rules.write(to: directory.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
        let name = "doctor_test_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try await PostgresConnection.connect(url: Secret(try conninfo(database: try variables()["PGDATABASE"] ?? "postgres")))
        try await admin.execute("CREATE DATABASE \(name)")
        await admin.close()
        let url = try conninfo(database: name)
        let connection = try await PostgresConnection.connect(url: Secret(url))
        try await Migrator(migrations: migrations, logger: quietLogger).migrate(connection)
        if migrations.count == Migration.all.count {
            try await connection.execute(healthyHistory)
        }
        await connection.close()
        let upstream = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let deployment = Deployment(directory: directory, databaseURL: url, upstream: upstream)
        try deployment.writeConfiguration()
        return deployment
    }

    /// Writes `config.yaml`; `extra` is appended as more top-level YAML.
    func writeConfiguration(upstreamPort: Int? = nil, spool: String? = nil, databaseURL: String? = nil, extra: String = "") throws {
        let yaml = """
            upstream:
              url: http://127.0.0.1:\(upstreamPort ?? self.upstreamPort)
            tracking:
              rules_file: \(rulesPath)
            ingest:
              database:
                url: "\(databaseURL ?? self.databaseURL)"
                connect_timeout: 2s
              spool:
                dir: \(spool ?? spoolPath)
            analytics:
              tokens:
                - {token: "sha256:d0f52940c3f5ecaf6b19553ee072557eed6987e9c1ff383c275cde9b4d9ee922", role: manager}
            retention:
              days: 90

            """ + extra
        try yaml.write(toFile: configurationPath, atomically: true, encoding: .utf8)
    }

    /// Runs SQL on the deployment's database.
    func execute(_ sql: String) async throws -> [[String?]] {
        let connection = try await PostgresConnection.connect(url: Secret(databaseURL))
        do {
            let rows = try await connection.execute(sql)
            await connection.close()
            return rows
        } catch {
            await connection.close()
            throw error
        }
    }

    func close() async {
        try? await upstream.close()
        try? FileManager.default.removeItem(at: directory)
    }

    static func variables() throws -> [String: String] {
        var variables = ProcessInfo.processInfo.environment
        let envFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".pgdata/env")
        if variables["PGPORT"] == nil, let text = try? String(contentsOf: envFile, encoding: .utf8) {
            for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
                let parts = word.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { variables[String(parts[0])] = String(parts[1]) }
            }
        }
        guard let host = variables["PGHOST"], !host.isEmpty, variables["PGPORT"] != nil else {
            throw DeploymentError("no PostgreSQL test cluster: run `scripts/pg.sh start`, which writes .pgdata/env with PGHOST and PGPORT")
        }
        return variables
    }

    static func conninfo(database: String) throws -> String {
        let variables = try variables()
        return "host=\(variables["PGHOST"] ?? "") port=\(variables["PGPORT"] ?? "") user=\(variables["PGUSER"] ?? "postgres") dbname=\(database) connect_timeout=15"
    }
}

struct DeploymentError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

let quietLogger: Logger = {
    var logger = Logger(label: "doctor-tests")
    logger.logLevel = .error
    return logger
}()
