import PostgreSQL
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The disk spool: append-only segment files of length-prefixed, CRC32-checked records in
/// `spool.dir`, used while PostgreSQL is unreachable or the queue is full, and replayed in order.
///
/// File format: see `SpoolSegmentContents`. A segment file is deleted only after its rows are
/// committed; a damaged one (a torn or corrupt record, a foreign file) is renamed
/// `<name>.damaged-<time>` and kept for a person, never deleted, and every record lost to damage
/// or to a failed write is counted. A failed write is cut back to the last whole record, so later
/// appends never follow a torn one; a failed create or fsync is retried with a new segment.
/// The directory is locked (`flock`) while the spool is open: two processes never share it.
///
/// Threads: appends and the bookkeeping (`state`, `activeFile`, `dirty`) run on `appendThread`,
/// which does nothing slow, so that the hand-off from the queue keeps up with any request rate;
/// fsync, reading a segment for replay and deleting or renaming one run on `diskThread`, with
/// descriptors it owns (a `dup`, or one handed over when a segment is sealed) and files no longer
/// appended to. Neither is an event loop or the cooperative pool. `@unchecked Sendable` is safe
/// because the mutable file state is touched only on `appendThread` (one thread); `statsBox` is a
/// `Mutex`, and the other stored properties are immutable.
final class Spool: @unchecked Sendable {
    /// What one append did.
    struct AppendResult: Sendable, Equatable {
        var appended = 0
        /// Refused: the spool is full (`drop_newest`) or the disk failed.
        var droppedNewest = 0
        /// Deleted with old segments to make room (`drop_oldest`).
        var droppedOldest = 0
    }

    /// Readable from any thread, for metrics and `status()`.
    struct Stats: Sendable, Equatable {
        var bytes = 0
        var segments = 0
        var pendingRecords = 0
        /// Records lost to damaged segment files since the spool was opened: a damaged place
        /// counts at least one record, and a replay that reads fewer records than were appended
        /// counts the difference.
        var lostRecords = 0
        /// Damaged segment files renamed aside (`*.damaged-<time>`) since the spool was opened.
        var quarantinedFiles = 0
        /// fsync calls that failed since the spool was opened (the segment was then sealed).
        var syncFailures = 0
    }

    /// The disk calls a test may replace to fail on purpose: only `fsync`, which no real
    /// file system here can be made to fail (a full disk and a missing directory are real in tests).
    struct FileOperations: Sendable {
        var fsync: @Sendable (Int32) -> Int32

        static let system = FileOperations(fsync: { Glibc.fsync($0) })
    }

    static var magic: [UInt8] { SpoolSegmentContents.magic }

    let directory: URL
    let appendThread: NIOThreadPool
    let diskThread: NIOThreadPool
    let logger: Logger
    let fileOperations: FileOperations
    /// The largest file read back as a segment: larger ones are damage, not read into memory.
    let maximumFileBytes: Int
    /// Holds the directory's `flock` until `close()`.
    private let lockDescriptor: Int32
    var state: SpoolSegments
    /// The segment taking appends: its descriptor and its length in whole records.
    var activeFile: (segment: UInt64, descriptor: Int32, length: Int)?
    var dirty = false
    let statsBox: Mutex<Stats>

    var stats: Stats { statsBox.withLock { $0 } }

    private init(
        directory: URL, threads: (append: NIOThreadPool, disk: NIOThreadPool), lockDescriptor: Int32, state: SpoolSegments,
        lostRecords: Int, quarantined: Int, maximumFileBytes: Int, fileOperations: FileOperations, logger: Logger
    ) {
        self.directory = directory
        self.appendThread = threads.append
        self.diskThread = threads.disk
        self.lockDescriptor = lockDescriptor
        self.state = state
        self.maximumFileBytes = maximumFileBytes
        self.fileOperations = fileOperations
        self.logger = logger
        self.statsBox = Mutex(Stats(
            bytes: state.totalBytes, segments: state.segmentCount, pendingRecords: state.pendingRecords,
            lostRecords: lostRecords, quarantinedFiles: quarantined
        ))
    }

    /// Opens (creating when missing) and locks the spool directory, and scans its segments:
    /// records are counted, damaged files renamed aside and their losses counted, empty segments
    /// deleted. Never fails on a damaged file.
    ///
    /// - Throws: `StorageError` (`.spool`) when the directory cannot be used, or another process
    ///   (or another open spool) holds it.
    static func open(_ configuration: SpoolConfiguration, logger: Logger, fileOperations: FileOperations = .system) async throws -> Spool {
        let appendThread = NIOThreadPool(numberOfThreads: 1)
        let diskThread = NIOThreadPool(numberOfThreads: 1)
        appendThread.start()
        diskThread.start()
        let directory = URL(fileURLWithPath: configuration.dir, isDirectory: true)
        let segmentBytes = max(1, configuration.segmentBytes.bytes)
        // A segment is at most segment_bytes, or one record past it; a previous run may have used
        // the default size.
        let maximumFileBytes = max(segmentBytes, SpoolConfiguration().segmentBytes.bytes) + SpoolSegmentContents.maximumPayloadBytes
        do {
            let (lock, scan) = try await diskThread.runToCompletion { () throws -> (Int32, Scan) in
                let lock = try lockDirectory(directory)
                return (lock, scanSegments(directory, maximumFileBytes: maximumFileBytes, logger: logger))
            }
            let state = SpoolSegments(
                existing: scan.segments, highestID: scan.highestID, maxBytes: max(1, configuration.maxBytes.bytes),
                segmentBytes: segmentBytes, policy: configuration.whenFull
            )
            return Spool(
                directory: directory, threads: (appendThread, diskThread), lockDescriptor: lock, state: state,
                lostRecords: scan.lostRecords, quarantined: scan.quarantined, maximumFileBytes: maximumFileBytes,
                fileOperations: fileOperations, logger: logger
            )
        } catch {
            try? await appendThread.shutdownGracefully()
            try? await diskThread.shutdownGracefully()
            throw error
        }
    }

    /// Appends rows in order. Never throws: what cannot be written is counted as dropped.
    func append(_ records: [EncodedActivity]) async -> AppendResult {
        guard !records.isEmpty else { return AppendResult() }
        return (try? await appendThread.runToCompletion { self.appendOnThread(records) }) ?? AppendResult(droppedNewest: records.count)
    }

    /// fsyncs the segment taking appends if anything was appended since the last sync. Returns
    /// false when fsync failed: the segment is then sealed (later appends go to a new file) and
    /// the failure is logged and counted in `stats.syncFailures`.
    @discardableResult
    func sync() async -> Bool {
        // A duplicate descriptor: the append thread may close its own meanwhile.
        guard let (segment, descriptor) = try? await appendThread.runToCompletion({ self.duplicateForSyncOnThread() }) else {
            return true
        }
        let fsync = fileOperations.fsync
        let failure = try? await diskThread.runToCompletion { () -> Int32? in
            defer { Glibc.close(descriptor) }
            return fsync(descriptor) == 0 ? nil : errno
        }
        guard let failure else { return true }
        _ = try? await appendThread.runToCompletion { self.syncFailedOnThread(segment: segment, errno: failure) }
        return false
    }

    /// Reads the oldest segment for replay, sealing it first if it takes appends. `nil` when the
    /// spool is empty or a replay is already in progress. Call `finishReplay` once its rows are
    /// committed, or `abandonReplay` if they could not be. Records lost to damage are added to
    /// `stats.lostRecords`.
    func startReplay() async -> (segment: UInt64, records: [ActivityRecord])? {
        guard let (segment, expected) = try? await appendThread.runToCompletion({ self.startReplayOnThread() }) else {
            return nil
        }
        let url = self.url(segment)
        let maximumFileBytes = self.maximumFileBytes
        let contents = try? await diskThread.runToCompletion { Self.readSegment(url, maximumFileBytes: maximumFileBytes) }
        let records = contents?.records ?? []
        let damaged = contents.map { $0.damagedRegions > 0 || !$0.hasHeader } ?? true
        if damaged || records.count < expected {
            let lost = max(records.count < expected ? expected - records.count : 0, damaged && expected == 0 ? 1 : 0)
            statsBox.withLock { $0.lostRecords += lost }
            logger.error("spool segment is damaged: its whole records are replayed, the file is kept", metadata: [
                "spool.path": "\(url.path)", "spool.records_read": "\(records.count)", "spool.records_lost": "\(lost)",
            ])
            _ = try? await appendThread.runToCompletion { self.state.markDamaged(segment: segment) }
        }
        return (segment, records)
    }

    /// The replayed segment's rows are committed: deletes its file, or renames it aside when it
    /// was damaged.
    func finishReplay(segment: UInt64) async {
        guard let damaged = try? await appendThread.runToCompletion({ () -> Bool in
            let damaged = self.state.isDamaged(segment: segment)
            self.state.finishReplay(segment: segment)
            self.publishStats()
            return damaged
        }) else { return }
        let url = self.url(segment)
        let logger = self.logger
        _ = try? await diskThread.runToCompletion {
            if damaged {
                Self.quarantine(url, logger: logger)
            } else {
                unlink(url.path)
            }
        }
        if damaged { statsBox.withLock { $0.quarantinedFiles += 1 } }
    }

    /// Keeps the segment for a later replay.
    func abandonReplay() async {
        _ = try? await appendThread.runToCompletion { self.state.abandonReplay() }
    }

    /// Syncs and closes the open segment, releases the directory's lock and stops the spool's
    /// threads. No call may follow.
    func close() async {
        let sealed = try? await appendThread.runToCompletion { () -> Int32? in
            defer { _ = self.state.sealActive() }
            return self.detachActiveOnThread()
        }
        if let descriptor = sealed {
            let fsync = fileOperations.fsync
            _ = try? await diskThread.runToCompletion { _ = fsync(descriptor); Glibc.close(descriptor) }
        }
        Glibc.close(lockDescriptor)
        try? await appendThread.shutdownGracefully()
        try? await diskThread.shutdownGracefully()
    }

    func url(_ segment: UInt64) -> URL {
        let digits = String(segment)
        return directory.appendingPathComponent("segment-\(String(repeating: "0", count: max(0, 16 - digits.count)))\(digits).spool")
    }

    func publishStats() {
        let state = self.state
        statsBox.withLock {
            $0.bytes = state.totalBytes
            $0.segments = state.segmentCount
            $0.pendingRecords = state.pendingRecords
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
