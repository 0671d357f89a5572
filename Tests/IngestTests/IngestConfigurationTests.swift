import ConfigValues
import Foundation
import Testing
@testable import Ingest
@testable import PostgreSQL

@Suite struct IngestConfigurationTests {
    @Test func emptyObjectGivesDefaults() throws {
        let configuration = try JSONDecoder().decode(IngestConfiguration.self, from: Data("{}".utf8))
        #expect(configuration == IngestConfiguration())
        #expect(configuration.batch.size == 500)
        #expect(configuration.batch.maxSize == 5_000)
        #expect(configuration.batch.maxAge == .milliseconds(200))
        #expect(configuration.database.synchronousCommit == .on)
        #expect(configuration.spool.whenFull == .dropNewest)
        #expect(configuration.spool.syncInterval == .seconds(1))
    }

    @Test func readsSnakeCaseKeys() throws {
        let json = """
            {"database": {"url": "postgresql://app:secret@db1,db2/app?target_session_attrs=read-write", "synchronous_commit": "off",
                          "migrate_on_start": false, "connect_timeout": "3s"},
             "queue": {"capacity": 42}, "batch": {"size": 10, "max_age": "50ms"},
             "retry": {"initial_backoff": "1s", "max_backoff": "1m"},
             "spool": {"dir": "/tmp/s", "sync_interval": "250ms", "max_bytes": "2GiB", "segment_bytes": "1MiB", "when_full": "drop_oldest"},
             "shutdown_flush_timeout": "9s"}
            """
        let configuration = try JSONDecoder().decode(IngestConfiguration.self, from: Data(json.utf8))
        #expect(configuration.database.url?.value.hasPrefix("postgresql://app:secret@") == true)
        #expect(configuration.database.synchronousCommit == .off)
        #expect(!configuration.database.migrateOnStart)
        #expect(configuration.queue.capacity == 42)
        #expect(configuration.batch.size == 10)
        #expect(configuration.batch.maxSize == 5_000)
        #expect(configuration.batch.maxAge == .milliseconds(50))
        #expect(configuration.retry.maxBackoff == .seconds(60))
        #expect(configuration.spool.maxBytes == ByteSize(bytes: 2 << 30))
        #expect(configuration.spool.whenFull == .dropOldest)
        #expect(configuration.shutdownFlushTimeout == .seconds(9))
    }

    /// The lead finds unknown keys by re-encoding: every decoded key must be encoded, at every level.
    @Test func encodesEveryKeyItDecodes() throws {
        let data = try JSONEncoder().encode(IngestConfiguration())
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == Set(IngestConfiguration.CodingKeys.allCases.map(\.rawValue)))
        let sections: [(String, [String])] = [
            ("database", IngestConfiguration.Database.CodingKeys.allCases.map(\.rawValue)),
            ("queue", IngestConfiguration.Queue.CodingKeys.allCases.map(\.rawValue)),
            ("batch", IngestConfiguration.Batch.CodingKeys.allCases.map(\.rawValue)),
            ("retry", IngestConfiguration.Retry.CodingKeys.allCases.map(\.rawValue)),
            ("spool", SpoolConfiguration.CodingKeys.allCases.map(\.rawValue)),
        ]
        for (name, keys) in sections {
            let section = try #require(object[name] as? [String: Any])
            #expect(Set(section.keys) == Set(keys), "section \(name)")
        }
    }

    @Test func validateNamesEveryBadKey() {
        var configuration = IngestConfiguration()
        #expect(throws: Never.self) { try configuration.validate() }
        configuration.batch.size = 0
        configuration.spool.maxBytes = ByteSize(bytes: 10)
        configuration.batch.maxAge = .milliseconds(500)
        do {
            try configuration.validate()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .configuration)
            #expect(error.message.contains("batch.size: 0 is too small"))
            #expect(error.message.contains("spool.max_bytes"))
            #expect(error.message.contains("batch.max_age: 500ms must be under half of spool.sync_interval (1s)"))
        }
    }

    @Test func heartbeatKeysDefaultReadAndAreBounded() throws {
        let defaults = IngestConfiguration()
        #expect(defaults.heartbeatInterval == .seconds(5))
        #expect(defaults.instanceID == nil)
        let read = try JSONDecoder().decode(IngestConfiguration.self, from: Data(#"{"heartbeat_interval": "30s", "instance_id": "reports-1"}"#.utf8))
        #expect(read.heartbeatInterval == .seconds(30))
        #expect(read.instanceID == "reports-1")
        #expect(throws: Never.self) { try read.validate() }
        for (interval, id, problem) in [
            (ConfigDuration.milliseconds(999), nil, "heartbeat_interval: 999ms is out of range; it must be from 1s to 1h"),
            (ConfigDuration.seconds(3_601), nil, "heartbeat_interval: 3601s"),
            (ConfigDuration.seconds(5), "", "instance_id: is empty"),
            (ConfigDuration.seconds(5), String(repeating: "é", count: 65), "instance_id: is 130 bytes long; it must be at most 128"),
            (ConfigDuration.seconds(5), "a\u{7}b", "instance_id: holds a control character"),
        ] as [(ConfigDuration, String?, String)] {
            var configuration = IngestConfiguration()
            configuration.heartbeatInterval = interval
            configuration.instanceID = id
            #expect(throws: StorageError.self) { try configuration.validate() }
            do { try configuration.validate() } catch { #expect(error.message.contains(problem), "\(error.message)") }
        }
    }

    @Test(arguments: [
        ("99ms", "system_metrics_interval: 99ms is out of range; it must be from 100ms to 60s"),
        ("61s", "system_metrics_interval: 61s is out of range"),
        ("100ms", nil),
        ("60s", nil),
    ] as [(String, String?)])
    func systemMetricsIntervalIsBounded(text: String, problem: String?) throws {
        #expect(IngestConfiguration().systemMetricsInterval == .seconds(60))
        let read = try JSONDecoder().decode(IngestConfiguration.self, from: Data(#"{"system_metrics_interval": "\#(text)"}"#.utf8))
        let problems = read.problems().map(\.description)
        if let problem {
            #expect(problems.contains { $0.contains(problem) }, "\(problems)")
        } else {
            #expect(problems.isEmpty, "\(problems)")
        }
    }

    @Test func defaultInstanceIDIsHostAndPidWithinTheBound() {
        let identity = InstanceIdentity.current(configuredID: nil, version: "1.2.3")
        #expect(identity.id == "\(identity.hostname):\(getpid())" || identity.id.hasSuffix(":\(getpid())"))
        #expect(identity.id.utf8.count <= InstanceIdentity.maxBytes)
        #expect(identity.version == "1.2.3")
        #expect(InstanceIdentity.current(configuredID: "reports-1", version: "x").id == "reports-1")
        // A cut never splits a character.
        #expect(InstanceIdentity.prefix(of: "ab\u{E9}cd", bytes: 3) == "ab")
        #expect(InstanceIdentity.prefix(of: "ab\u{E9}cd", bytes: 4) == "ab\u{E9}")
        #expect(InstanceIdentity.prefix(of: "short", bytes: 128) == "short")
    }

    @Test func maxSizeFollowsALargerSizeAndIsCheckedAgainstIt() throws {
        let larger = try JSONDecoder().decode(IngestConfiguration.self, from: Data(#"{"batch": {"size": 8000}}"#.utf8))
        #expect(larger.batch.maxSize == 8000)
        let both = try JSONDecoder().decode(IngestConfiguration.self, from: Data(#"{"batch": {"size": 100, "max_size": 300}}"#.utf8))
        #expect(both.batch.maxSize == 300)
        let smaller = try JSONDecoder().decode(IngestConfiguration.self, from: Data(#"{"batch": {"size": 100, "max_size": 50}}"#.utf8))
        #expect(throws: StorageError.self) { try smaller.validate() }
        do {
            try smaller.validate()
        } catch {
            #expect(error.message.contains("batch.max_size: 50 is smaller than batch.size (100)"))
        }
    }

    @Test func urlIsRedactedWhenEncoded() throws {
        var configuration = IngestConfiguration()
        configuration.database.url = Secret("postgresql://app:hunter2@db/app")
        let text = String(decoding: try JSONEncoder().encode(configuration), as: UTF8.self)
        #expect(!text.contains("hunter2"))
    }

    @Test(arguments: [
        ("postgresql://app:hunter2@db1:5432,db2/app?target_session_attrs=read-write", "postgresql://app:***@db1:5432,db2/app?target_session_attrs=read-write"),
        ("postgres://app@db/app?password=hunter2&sslmode=require", "postgres://app@db/app?password=***&sslmode=require"),
        ("host=db password=hunter2 dbname=app", "host=db password=*** dbname=app"),
        ("host=db password = 'hunter 2' dbname=app", "host=db password = *** dbname=app"),
        ("host=db dbname=app", "host=db dbname=app"),
    ])
    func redactsPasswords(url: String, expected: String) {
        #expect(DatabaseURL.redacted(url) == expected)
    }
}
