import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The disk spool: append-only segment files of length-prefixed, CRC32-checked records in
/// `spool.dir`, used while PostgreSQL is unreachable or the queue is full, and replayed in order.
///
/// File format: an 8-byte header `TPSPOOL1`, then records `[UInt32 length][UInt32 CRC32][payload]`
/// (big-endian); a payload is one binary COPY tuple (`BinaryCopyFormat`). A segment file is
/// deleted only after its rows are committed. A truncated or corrupt tail is skipped and counted.
///
/// Disk I/O runs on the spool's own thread, never on an event loop or the cooperative pool.
/// `@unchecked Sendable` is safe because the mutable file state (`state`, `activeFile`, `dirty`)
/// is touched only by closures on `threadPool`, which has one thread; `stats` is a `Mutex`.
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
        /// Corrupt or truncated tails skipped since the spool was opened.
        var corruptTails = 0
    }

    static let magic = Array("TPSPOOL1".utf8)
    /// The largest payload read back; a longer length prefix means corruption.
    static let maxPayloadBytes = 64 << 20

    let directory: URL
    private let threadPool: NIOThreadPool
    private let logger: Logger
    private var state: SpoolSegments
    private var activeFile: (segment: UInt64, descriptor: Int32)?
    private var dirty = false
    private let statsBox: Mutex<Stats>

    var stats: Stats { statsBox.withLock { $0 } }

    private init(directory: URL, threadPool: NIOThreadPool, state: SpoolSegments, corruptTails: Int, logger: Logger) {
        self.directory = directory
        self.threadPool = threadPool
        self.state = state
        self.logger = logger
        self.statsBox = Mutex(Stats(bytes: state.totalBytes, segments: state.segmentCount, pendingRecords: state.pendingRecords, corruptTails: corruptTails))
    }

    /// Opens (creating when missing) the spool directory and scans its segments: records are
    /// counted, corrupt tails counted and skipped, empty segments deleted. Never fails on a
    /// corrupt file; fails only when the directory cannot be used.
    static func open(_ configuration: SpoolConfiguration, logger: Logger) async throws -> Spool {
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        let directory = URL(fileURLWithPath: configuration.dir, isDirectory: true)
        do {
            let (segments, corrupt) = try await threadPool.runToCompletion { try scan(directory) }
            let state = SpoolSegments(
                existing: segments, maxBytes: max(1, configuration.maxBytes.bytes),
                segmentBytes: max(1, configuration.segmentBytes.bytes), policy: configuration.whenFull
            )
            return Spool(directory: directory, threadPool: threadPool, state: state, corruptTails: corrupt, logger: logger)
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
    }

    /// Appends records in order. Never throws: what cannot be written is counted as dropped.
    func append(_ records: [ActivityRecord]) async -> AppendResult {
        guard !records.isEmpty else { return AppendResult() }
        return (try? await threadPool.runToCompletion { self.appendOnThread(records) }) ?? AppendResult(droppedNewest: records.count)
    }

    /// fsyncs the segment taking appends if anything was appended since the last sync.
    func sync() async {
        _ = try? await threadPool.runToCompletion { self.syncOnThread() }
    }

    /// Reads the oldest segment for replay, sealing it first if it takes appends. `nil` when the
    /// spool is empty or a replay is already in progress. Call `finishReplay` once its rows are
    /// committed, or `abandonReplay` if they could not be.
    func startReplay() async -> (segment: UInt64, records: [ActivityRecord])? {
        try? await threadPool.runToCompletion { () -> (UInt64, [ActivityRecord])? in
            guard let (segment, seal) = self.state.startReplay() else { return nil }
            if seal { self.closeActiveOnThread() }
            let (records, corrupt) = Self.read(self.url(segment), logger: self.logger)
            if corrupt { self.statsBox.withLock { $0.corruptTails += 1 } }
            return (segment, records)
        }
    }

    /// Deletes the replayed segment: its rows are committed.
    func finishReplay(segment: UInt64) async {
        _ = try? await threadPool.runToCompletion {
            self.state.finishReplay(segment: segment)
            unlink(self.url(segment).path)
            self.publishStats()
        }
    }

    /// Keeps the segment for a later replay.
    func abandonReplay() async {
        _ = try? await threadPool.runToCompletion { self.state.abandonReplay() }
    }

    /// Syncs and closes the open segment and stops the spool's thread. No call may follow.
    func close() async {
        _ = try? await threadPool.runToCompletion {
            self.closeActiveOnThread()
            _ = self.state.sealActive()
        }
        try? await threadPool.shutdownGracefully()
    }

    // MARK: - On the spool's thread

    private func url(_ segment: UInt64) -> URL {
        let digits = String(segment)
        return directory.appendingPathComponent("segment-\(String(repeating: "0", count: max(0, 16 - digits.count)))\(digits).spool")
    }

    private func appendOnThread(_ records: [ActivityRecord]) -> AppendResult {
        var result = AppendResult()
        var record = ByteBuffer()
        // Records for the open segment are gathered and written with one write(2).
        var pending = ByteBuffer()
        var pendingSizes: [Int] = []
        func flush() {
            guard !pendingSizes.isEmpty else { return }
            if let file = activeFile, writeAll(file.descriptor, pending) {
                dirty = true
                result.appended += pendingSizes.count
            } else if let segment = activeFile?.segment ?? state.segments.last?.id {
                for size in pendingSizes { state.appendFailed(segment: segment, payloadBytes: size) }
                result.droppedNewest += pendingSizes.count
            }
            pending.clear()
            pendingSizes.removeAll()
        }
        for activity in records {
            record.clear()
            BinaryCopyFormat.writeTuple(activity, into: &record)
            let payloadBytes = record.readableBytes
            guard let plan = state.append(payloadBytes: payloadBytes) else {
                result.droppedNewest += 1
                continue
            }
            if plan.seal != nil || plan.create != nil {
                flush()
                if plan.seal != nil { closeActiveOnThread() }
            }
            for segment in plan.evict {
                unlink(url(segment.id).path)
                result.droppedOldest += segment.records
            }
            if let create = plan.create, !createOnThread(create) {
                state.appendFailed(segment: plan.segment, payloadBytes: payloadBytes)
                result.droppedNewest += 1
                continue
            }
            pending.writeInteger(UInt32(payloadBytes))
            pending.writeInteger(record.withUnsafeReadableBytes { CRC32.checksum($0) })
            pending.writeImmutableBuffer(record)
            pendingSizes.append(payloadBytes)
        }
        flush()
        publishStats()
        return result
    }

    private func createOnThread(_ segment: UInt64) -> Bool {
        closeActiveOnThread()
        let path = url(segment).path
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            logger.error("cannot create spool segment", metadata: ["spool.path": "\(path)", "error.message": "\(String(cString: strerror(errno)))"])
            return false
        }
        guard Self.magic.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) == Self.magic.count else {
            Glibc.close(descriptor)
            return false
        }
        activeFile = (segment, descriptor)
        // Make the new directory entry durable too, so the segment survives a crash.
        let directoryDescriptor = Glibc.open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            Glibc.close(directoryDescriptor)
        }
        return true
    }

    private func writeAll(_ descriptor: Int32, _ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    logger.error("cannot write spool segment", metadata: ["error.message": "\(String(cString: strerror(errno)))"])
                    return false
                }
                offset += written
            }
            return true
        }
    }

    private func syncOnThread() {
        guard dirty, let file = activeFile else { return }
        fsync(file.descriptor)
        dirty = false
    }

    private func closeActiveOnThread() {
        guard let file = activeFile else { return }
        fsync(file.descriptor)
        Glibc.close(file.descriptor)
        activeFile = nil
        dirty = false
    }

    private func publishStats() {
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
