import ConfigValues
import Foundation
import Testing
@testable import Ingest
@testable import PostgreSQL

/// Tests against the real test cluster. Serialized: some stop and restart the server.
@Suite(.serialized) struct PostgresTests {
    @Test func migrationIsIdempotentUnderConcurrency() async throws {
        let cluster = try TestCluster.current()
        let url = try await cluster.createDatabase()
        let first = try await PostgresConnection.connect(url: Secret(url))
        let second = try await PostgresConnection.connect(url: Secret(url))
        async let a = Migrator(logger: testLogger).migrate(first)
        async let b = Migrator(logger: testLogger).migrate(second)
        let applied = try await [a, b]
        #expect(applied.flatMap { $0 }.sorted() == Migration.all.map(\.version), "each version applied exactly once")
        #expect(try await Migrator(logger: testLogger).migrate(first).isEmpty)
        let columns = try await first.execute("""
            SELECT column_name || ' ' || data_type FROM information_schema.columns
            WHERE table_name = 'activity' AND table_schema = current_schema() ORDER BY ordinal_position
            """).map { $0[0] ?? "" }
        #expect(columns == [
            "id uuid", "occurred_at timestamp with time zone", "user_id text", "activity_type text", "description text",
            "method text", "path text", "status smallint", "ip_address inet", "user_agent text", "metadata jsonb",
            "request_id text", "duration_ms double precision", "peer_address inet", "forwarded_chain text",
            "ip_verified boolean", "rule_id text",
        ])
        let viewColumns = try await first.execute("""
            SELECT column_name FROM information_schema.columns WHERE table_name = 'user_activity' ORDER BY ordinal_position
            """).map { $0[0] ?? "" }
        #expect(viewColumns == ["id", "user_id", "activity_type", "description", "ip_address", "user_agent", "metadata", "timestamp"])
        #expect(try await first.count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'activity'::regclass") >= Partitions.monthsAhead)
        await first.close()
        await second.close()
    }

    @Test func encodesEveryColumnType() async throws {
        let cluster = try TestCluster.current()
        let connection = try await PostgresConnection.connect(url: Secret(try await cluster.createDatabase()))
        try await Migrator(logger: testLogger).migrate(connection)
        let longText = String(repeating: "long ✓ ", count: 150_000)
        let bigJSON = "{" + (0..<5_000).map { #""key\#($0)": {"v": \#($0), "s": "ü\#($0)"}"# }.joined(separator: ", ") + "}"
        var unicode = makeRecord(1, at: Date(timeIntervalSince1970: 1_700_000_000.123456))
        unicode.description = "Zoë downloaded «report» 🚀 — 日本語 \u{0}with NUL"
        unicode.userID = "użytkownik-\u{0}1"
        unicode.ipAddress = "2001:db8::42"
        unicode.peerAddress = "192.0.2.10"
        unicode.metadataJSON = bigJSON
        unicode.status = 32_767
        unicode.durationMs = 1234.5678
        unicode.ipVerified = true
        var long = makeRecord(2, at: Date(timeIntervalSince1970: 1_000_000_000))  // 2001: a partition made on demand
        long.userAgent = longText
        long.userID = nil
        long.ipAddress = nil
        long.requestID = nil
        long.forwardedChain = nil
        long.status = -1
        let records = try [unicode, long].map { try $0.validated() }
        let writer = BatchWriter(synchronousCommit: .off)
        let outcome = try await connection.run { session in
            try writer.prepare(session)
            return try writer.write(records, durable: false, session: session).written
        }
        #expect(outcome == 2)
        let row = try await connection.execute("""
            SELECT id::text, extract(epoch from occurred_at)::numeric(20,6)::text, user_id, description, status::text,
                   host(ip_address), host(peer_address), metadata->'key4999'->>'s', (SELECT count(*) FROM jsonb_object_keys(metadata))::text,
                   duration_ms::text, ip_verified::text, metadata->'ingest_repairs'->>0
            FROM activity WHERE id = $1
            """, parameters: [records[0].id.uuidString])
        #expect(row.first == [
            records[0].id.uuidString.lowercased(), "1700000000.123456", "użytkownik-1", "Zoë downloaded «report» 🚀 — 日本語 with NUL", "32767",
            "2001:db8::42", "192.0.2.10", "ü4999", "5001", "1234.5678", "true", "user_id: NUL characters removed",
        ])
        let second = try await connection.execute("""
            SELECT length(user_agent)::text, user_id IS NULL, ip_address IS NULL, status::text, tableoid::regclass::text
            FROM activity WHERE id = $1
            """, parameters: [records[1].id.uuidString])
        #expect(second.first == [String(longText.count), "t", "t", "-1", "activity_2001_09"])
        let viaView = try await connection.count("SELECT count(*) FROM user_activity WHERE \"timestamp\" < now()")
        #expect(viaView == 2)
        await connection.close()
    }

    /// A batch PostgreSQL acknowledged is on its disk (WAL flushed): by default the writer's
    /// session commits with `synchronous_commit = on`, since a freed batch is in no spool.
    @Test func theWriterCommitsDurablyByDefault() async throws {
        let cluster = try TestCluster.current()
        let connection = try await PostgresConnection.connect(url: Secret(try await cluster.createDatabase()))
        try await Migrator(logger: testLogger).migrate(connection)
        let writer = BatchWriter(synchronousCommit: IngestConfiguration().database.synchronousCommit)
        try await connection.run { try writer.prepare($0) }
        #expect(try await connection.execute("SHOW synchronous_commit").first?.first == "on")
        await connection.close()
    }

    @Test func replayingTheSameBatchDoesNotDuplicate() async throws {
        let cluster = try TestCluster.current()
        let connection = try await PostgresConnection.connect(url: Secret(try await cluster.createDatabase()))
        try await Migrator(logger: testLogger).migrate(connection)
        let records = (0..<1_000).map { makeRecord($0) }
        let writer = BatchWriter(synchronousCommit: .off)
        let written = try await connection.run { session in
            try writer.prepare(session)
            return [
                try writer.write(Array(records[0..<400]), durable: false, direct: true, session: session).written,
                try writer.write(records, durable: false, direct: true, session: session).written,  // 23505, then staged
                try writer.write(records, durable: true, session: session).written,
                try writer.write(Array(records[100..<300]), durable: false, session: session).written,
                try writer.write(Array(records[100..<300]), durable: true, direct: true, session: session).written,
            ]
        }
        #expect(written == [400, 600, 0, 0, 0], "only rows added are counted")
        #expect(try await connection.count("SELECT count(*) FROM activity") == 1_000)
        #expect(try await connection.count("SELECT count(DISTINCT id) FROM activity") == 1_000)
        await connection.close()
    }

    @Test func badRowIsDeadLetteredAndTheRestIsWritten() async throws {
        let cluster = try TestCluster.current()
        let connection = try await PostgresConnection.connect(url: Secret(try await cluster.createDatabase()))
        try await Migrator(logger: testLogger).migrate(connection)
        var batch = (0..<64).map { makeRecord($0) }
        // Not validated on purpose: jsonb refuses \u0000 (SQLSTATE 22P05) although it is valid JSON.
        batch[37].metadataJSON = #"{"bad": "nul \u0000 here"}"#
        // Too large for the B-tree index on (user_id, occurred_at), even compressed: SQLSTATE 54000.
        batch[5].userID = (0..<1_000).map { _ in UUID().uuidString }.joined()
        let records = batch
        let writer = BatchWriter(synchronousCommit: .off)
        let outcome = try await connection.run { session in
            try writer.prepare(session)
            return try writer.write(records, durable: false, session: session)
        }
        #expect(outcome.written == 62)
        #expect(outcome.deadLettered.map(\.record.id) == [records[5].id, records[37].id])
        #expect(try await connection.count("SELECT count(*) FROM activity") == 62)
        let dead = try await connection.execute("SELECT id::text, sqlstate, error, record FROM activity_dead_letter ORDER BY sqlstate")
        #expect(dead.count == 2)
        #expect(dead.first?[0] == records[37].id.uuidString.lowercased())
        #expect(dead.first?[1] == "22P05")
        #expect(dead.first?[2]?.contains("copy batch") == true)
        #expect(dead.first?[3]?.contains("report.download") == true)
        #expect(dead.last?[0] == records[5].id.uuidString.lowercased())
        #expect(dead.last?[1] == "54000")
        await connection.close()
    }

    @Test func gracefulShutdownDrainsTheQueue() async throws {
        let cluster = try TestCluster.current()
        let url = try await cluster.createDatabase()
        var configuration = makeConfiguration(url: url, spoolDir: temporarySpoolDirectory())
        configuration.batch.maxAge = .seconds(60)  // nothing is written before shutdown...
        configuration.spool.syncInterval = .seconds(300)  // ... nor spooled for waiting long
        configuration.batch.size = 100_000
        let records = (0..<5_000).map { makeRecord($0) }
        try await withWriter(configuration) { writer in
            try await eventually("connected") { writer.status().databaseReachable }
            for record in records { #expect(writer.record(record) == .queued) }
            #expect(writer.status().queueDepth == 5_000)
        }
        let connection = try await PostgresConnection.connect(url: Secret(url))
        #expect(try await connection.count("SELECT count(*) FROM activity") == 5_000)
        await connection.close()
        #expect(try FileManager.default.contentsOfDirectory(atPath: configuration.spool.dir).isEmpty, "nothing left to spool")
    }
}
