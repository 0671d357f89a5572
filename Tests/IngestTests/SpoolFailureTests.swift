import ConfigValues
import Foundation
import Synchronization
import Testing
@testable import Ingest
@testable import PostgreSQL

/// Disk failures under the spool, produced for real where this machine allows it (a directory
/// replaced by a file, a full tmpfs, a second process's lock), and every one recoverable.
@Suite struct SpoolFailureTests {
    func configuration(dir: String = temporarySpoolDirectory()) -> SpoolConfiguration {
        var configuration = SpoolConfiguration()
        configuration.dir = dir
        return configuration
    }

    /// Creating a segment fails (here ENOTDIR: the directory was replaced by a file, as EACCES or
    /// EMFILE would fail it); once the directory is back, the next append creates one again.
    @Test func aFailedSegmentCreateIsRetriedOnceTheDirectoryRecovers() async throws {
        let configuration = configuration()
        let spool = try await Spool.open(configuration, logger: testLogger)
        let away = configuration.dir + ".away"
        try FileManager.default.moveItem(atPath: configuration.dir, toPath: away)
        try Data().write(to: URL(fileURLWithPath: configuration.dir))
        #expect(await spool.append((0..<5).map { makeRecord($0) }) == .init(droppedNewest: 5))
        #expect(await spool.append((5..<10).map { makeRecord($0) }) == .init(droppedNewest: 5))
        #expect(spool.stats.pendingRecords == 0)
        try FileManager.default.removeItem(atPath: configuration.dir)
        try FileManager.default.moveItem(atPath: away, toPath: configuration.dir)

        let records = (10..<20).map { makeRecord($0) }
        #expect(await spool.append(records) == .init(appended: 10))
        #expect(spool.stats.pendingRecords == 10)
        let replay = try #require(await spool.startReplay())
        #expect(replay.records.map(\.id) == records.map(\.id))
        await spool.finishReplay(segment: replay.segment)
        await spool.close()
    }

    /// A full disk (a small tmpfs): the write that does not fit is cut back to the last whole
    /// record, so records appended after space returns follow whole records and are all read back.
    @Test func aFullDiskLeavesNoTornRecordAndAppendsResumeWhenSpaceReturns() async throws {
        try await withTmpfs(bytes: 256 << 10) { mount in
            let filler = URL(fileURLWithPath: mount + "/filler")
            try Data(count: 64 << 10).write(to: filler)
            let spool = try await Spool.open(configuration(dir: mount + "/spool"), logger: testLogger)
            var appended = 0
            var dropped = 0
            // 20 × 100 records of about 300 bytes: more than twice what fits.
            for chunk in 0..<20 {
                let result = await spool.append((0..<100).map { makeRecord(chunk * 100 + $0) })
                appended += result.appended
                dropped += result.droppedNewest
            }
            #expect(appended > 0 && dropped > 0)
            #expect(appended + dropped == 2_000, "every record is appended or counted")
            #expect(spool.stats.pendingRecords == appended)
            // The disk recovers.
            try FileManager.default.removeItem(at: filler)
            let late = (5_000..<5_050).map { makeRecord($0) }
            #expect(await spool.append(late) == .init(appended: 50))
            appended += 50
            await spool.close()

            let reopened = try await Spool.open(configuration(dir: mount + "/spool"), logger: testLogger)
            #expect(reopened.stats.pendingRecords == appended)
            #expect(reopened.stats.lostRecords == 0)
            var replayed: [ActivityRecord] = []
            while let (segment, batch) = await reopened.startReplay() {
                replayed += batch
                await reopened.finishReplay(segment: segment)
            }
            #expect(replayed.count == appended)
            #expect(replayed.suffix(50).map(\.id) == late.map(\.id))
            await reopened.close()
        }
    }

    /// A torn record in the middle of a segment (a crash mid-write, appends after it): the
    /// records after it are read too, and the file is kept (renamed) instead of deleted.
    @Test func aTornRecordInTheMiddleLosesOnlyItselfAndTheFileIsQuarantined() async throws {
        let configuration = configuration()
        let records = (0..<200).map { makeRecord($0) }
        let path = try await writeSegment(records, configuration)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let middle = Self.offset(ofRecord: 100, in: bytes)
        bytes.insert(contentsOf: bytes[middle..<(middle + 40)], at: middle)  // a header and 32 bytes of payload
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let spool = try await Spool.open(configuration, logger: testLogger)
        #expect(spool.stats.pendingRecords == 200)
        let replay = try #require(await spool.startReplay())
        #expect(replay.records.map(\.id) == records.map(\.id))
        await spool.finishReplay(segment: replay.segment)
        let name = URL(fileURLWithPath: path).lastPathComponent
        let left = try FileManager.default.contentsOfDirectory(atPath: configuration.dir)
        #expect(left.count == 1 && left.allSatisfy { $0.hasPrefix(name + ".damaged") }, "\(left)")
        await spool.close()
    }

    /// At start-up, a segment whose first record is bad still gives the good records after it;
    /// a file without one good record is renamed aside, never deleted; an empty one is deleted.
    @Test func startUpKeepsWhatFollowsABadFirstRecordAndQuarantinesGarbage() async throws {
        let configuration = configuration()
        let records = (0..<50).map { makeRecord($0) }
        let path = try await writeSegment(records, configuration)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[SpoolSegments.headerBytes + 4] ^= 0xFF  // the first record's CRC
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let garbage = configuration.dir + "/segment-0000000000000007.spool"
        try Data("not a spool segment at all".utf8).write(to: URL(fileURLWithPath: garbage))
        let empty = configuration.dir + "/segment-0000000000000008.spool"
        try Data(Spool.magic).write(to: URL(fileURLWithPath: empty))

        let spool = try await Spool.open(configuration, logger: testLogger)
        #expect(spool.stats.pendingRecords == 49)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: configuration.dir))
        #expect(left.contains(URL(fileURLWithPath: path).lastPathComponent))
        #expect(left.contains { $0.hasPrefix("segment-0000000000000007.spool.damaged") }, "\(left)")
        #expect(!left.contains("segment-0000000000000007.spool") && !left.contains("segment-0000000000000008.spool"))
        let replay = try #require(await spool.startReplay())
        #expect(replay.records.map(\.id) == records.dropFirst().map(\.id))
        await spool.close()
    }

    /// Two processes (here two spools in one process, which `flock` treats alike) never share a
    /// spool directory: the second is refused with a sentence, until the first closes.
    @Test func aSecondSpoolOnTheSameDirectoryIsRefused() async throws {
        let configuration = configuration()
        let first = try await Spool.open(configuration, logger: testLogger)
        let error = await #expect(throws: StorageError.self) { try await Spool.open(configuration, logger: testLogger) }
        #expect(error?.code == .spool)
        #expect(error?.message.contains("in use") == true, "\(String(describing: error))")
        await first.close()
        let second = try await Spool.open(configuration, logger: testLogger)
        await second.close()
    }

    /// A failed fsync is reported, not ignored: after one the kernel may have dropped the file's
    /// unwritten pages, so the segment is closed and appends go to a new file. The only failure
    /// injected rather than real (no file system here fails fsync on demand): `FileOperations`.
    @Test func aFailedFsyncIsCountedAndTheSegmentIsClosed() async throws {
        let configuration = configuration()
        let failing = Mutex(true)
        let operations = Spool.FileOperations(fsync: { descriptor in
            guard failing.withLock({ $0 }) else { return Glibc.fsync(descriptor) }
            errno = EIO
            return -1
        })
        let spool = try await Spool.open(configuration, logger: testLogger, fileOperations: operations)
        #expect(await spool.append((0..<10).map { makeRecord($0) }).appended == 10)
        #expect(await spool.sync() == false)
        #expect(spool.stats.syncFailures == 1)
        failing.withLock { $0 = false }
        #expect(await spool.append((10..<20).map { makeRecord($0) }).appended == 10)
        #expect(spool.stats.segments == 2, "the segment that failed fsync takes no more appends")
        #expect(await spool.sync() == true)
        #expect(spool.stats.syncFailures == 1)
        var replayed: [ActivityRecord] = []
        while let (segment, batch) = await spool.startReplay() {
            replayed += batch
            await spool.finishReplay(segment: segment)
        }
        #expect(replayed.count == 20)
        await spool.close()
    }

    /// Records lost to damage are counted one per damaged record, not one per file.
    @Test func lostRecordsAreCountedPerDamagedRecord() async throws {
        let configuration = configuration()
        let path = try await writeSegment((0..<30).map { makeRecord($0) }, configuration)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        for index in [3, 10, 20] { bytes[Self.offset(ofRecord: index, in: bytes) + SpoolSegments.recordOverhead + 40] ^= 0x01 }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let spool = try await Spool.open(configuration, logger: testLogger)
        #expect(spool.stats.pendingRecords == 27)
        #expect(spool.stats.lostRecords == 3)
        await spool.close()
    }

    /// Writes `records` with the real spool and returns the path of its only segment.
    func writeSegment(_ records: [ActivityRecord], _ configuration: SpoolConfiguration) async throws -> String {
        let spool = try await Spool.open(configuration, logger: testLogger)
        #expect(await spool.append(records).appended == records.count)
        await spool.close()
        let names = try FileManager.default.contentsOfDirectory(atPath: configuration.dir)
        try #require(names.count == 1)
        return configuration.dir + "/" + names[0]
    }

    /// The byte offset of record `index` (0-based) in a segment file's bytes.
    static func offset(ofRecord index: Int, in bytes: [UInt8]) -> Int {
        var offset = SpoolSegments.headerBytes
        for _ in 0..<index {
            let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            offset += SpoolSegments.recordOverhead + length
        }
        return offset
    }
}

/// Runs `body` with a tmpfs of `bytes` mounted on a fresh directory: a real disk that fills up.
/// Needs root (as `make test` runs); fails, never skips, when the mount is refused.
func withTmpfs(bytes: Int, _ body: (String) async throws -> Void) async throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-tmpfs-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    guard try spawnAndWait(["/bin/mount", "-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", path]) == 0 else {
        throw TestFailure("cannot mount a tmpfs on \(path): this test needs root (as make test runs)")
    }
    defer { _ = try? spawnAndWait(["/bin/umount", path]) }
    try await body(path)
}

#if canImport(Glibc)
import Glibc
#endif
