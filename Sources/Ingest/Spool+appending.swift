import Foundation
import Logging
import NIOCore

/// What runs on the spool's append thread: appends, creating and sealing segments, and the
/// bookkeeping. Nothing here waits for the disk beyond `write(2)`: fsync and reads go to the
/// disk thread.
extension Spool {
    func appendOnThread(_ records: [EncodedActivity]) -> AppendResult {
        var result = AppendResult()
        // Records for the open segment are gathered and written with one write(2).
        var pending = ByteBuffer()
        var pendingSizes: [Int] = []
        func flush() {
            guard !pendingSizes.isEmpty else { return }
            if writeActiveOnThread(pending) {
                dirty = true
                result.appended += pendingSizes.count
            } else if let segment = state.segments.last?.id {
                for size in pendingSizes { state.appendFailed(segment: segment, payloadBytes: size) }
                result.droppedNewest += pendingSizes.count
            }
            pending.clear()
            pendingSizes.removeAll()
        }
        for activity in records {
            let record = activity.tuple
            let payloadBytes = record.readableBytes
            guard let plan = state.append(payloadBytes: payloadBytes) else {
                result.droppedNewest += 1
                continue
            }
            if plan.seal != nil || plan.create != nil {
                flush()
                if plan.seal != nil { sealActiveOnThread() }
            }
            for segment in plan.evict {
                unlink(url(segment.id).path)
                result.droppedOldest += segment.records
            }
            if let create = plan.create, !createOnThread(create) {
                state.createFailed(segment: create)
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

    /// Creates a segment file with its header. On failure nothing is left behind (the file is
    /// removed again) and the caller forgets the segment, so the next append tries a new one.
    private func createOnThread(_ segment: UInt64) -> Bool {
        sealActiveOnThread()
        let path = url(segment).path
        // O_EXCL: never append to a file this spool did not create (an unreadable leftover).
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            logger.error("cannot create spool segment; records are dropped until a create succeeds", metadata: [
                "spool.path": "\(path)", "error.message": "\(String(cString: strerror(errno)))",
            ])
            return false
        }
        let header = Self.magic
        let written = header.withUnsafeBytes { Self.writeAll(descriptor, $0) }
        guard written.error == nil else {
            logger.error("cannot write spool segment header", metadata: [
                "spool.path": "\(path)", "error.message": "\(String(cString: strerror(written.error ?? 0)))",
            ])
            Glibc.close(descriptor)
            unlink(path)
            return false
        }
        activeFile = (segment, descriptor, header.count)
        // Make the new directory entry durable too, so the segment survives a crash; not here:
        // an fsync can take seconds on a busy disk, and appends must not wait for it.
        let directory = self.directory.path
        let logger = self.logger
        diskThread.submit { _ in
            let directoryDescriptor = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard directoryDescriptor >= 0 else { return }
            if Glibc.fsync(directoryDescriptor) != 0 {
                logger.warning("cannot fsync the spool directory", metadata: ["error.message": "\(String(cString: strerror(errno)))"])
            }
            Glibc.close(directoryDescriptor)
        }
        return true
    }

    /// Writes whole records to the active segment. On failure (a full disk, an I/O error) the
    /// file is cut back to its last whole record, so nothing torn stays for later appends to
    /// follow; if even that fails, the segment is sealed and the next append starts a new file.
    private func writeActiveOnThread(_ buffer: ByteBuffer) -> Bool {
        guard let file = activeFile else { return false }
        let written = buffer.withUnsafeReadableBytes { Self.writeAll(file.descriptor, $0) }
        guard let error = written.error else {
            activeFile?.length += written.count
            return true
        }
        logger.error("cannot write spool segment; the records of this write are dropped", metadata: [
            "spool.path": "\(url(file.segment).path)", "error.message": "\(String(cString: strerror(error)))",
            "spool.bytes_written": "\(written.count)",
        ])
        if written.count > 0, ftruncate(file.descriptor, off_t(file.length)) != 0 {
            logger.error("cannot cut a torn spool record off; the segment is closed and will be kept aside after its replay", metadata: [
                "spool.path": "\(url(file.segment).path)", "error.message": "\(String(cString: strerror(errno)))",
            ])
            state.seal(segment: file.segment)
            state.markDamaged(segment: file.segment)
            sealActiveOnThread()
        }
        return false
    }

    /// Writes every byte, retrying short writes and EINTR. Returns the bytes written and the
    /// errno that stopped it, if any.
    static func writeAll(_ descriptor: Int32, _ raw: UnsafeRawBufferPointer) -> (count: Int, error: Int32?) {
        guard let base = raw.baseAddress else { return (0, nil) }
        var offset = 0
        while offset < raw.count {
            let written = write(descriptor, base + offset, raw.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return (offset, errno)
            }
            // write(2) returning 0 for a non-empty buffer: treat as a full disk rather than spin.
            guard written > 0 else { return (offset, ENOSPC) }
            offset += written
        }
        return (offset, nil)
    }

    /// Closes the segment taking appends: its descriptor goes to the disk thread, which fsyncs
    /// (unless `fsync` is false) and closes it: an fsync must not hold up appends.
    func sealActiveOnThread(fsync: Bool = true) {
        guard let descriptor = detachActiveOnThread() else { return }
        diskThread.submit { _ in
            // Run whatever the pool's state: a descriptor handed over is always closed.
            if fsync, self.fileOperations.fsync(descriptor) != 0 {
                let code = errno
                self.statsBox.withLock { $0.syncFailures += 1 }
                self.logger.error("cannot fsync a sealed spool segment; its records stay queued for replay", metadata: [
                    "error.message": "\(String(cString: strerror(code)))",
                ])
            }
            Glibc.close(descriptor)
        }
    }

    /// Forgets the active file and returns its descriptor (the caller closes it).
    func detachActiveOnThread() -> Int32? {
        guard let file = activeFile else { return nil }
        activeFile = nil
        dirty = false
        return file.descriptor
    }

    /// A duplicate of the active segment's descriptor for `sync()`, when it holds unsynced
    /// records; the caller closes it.
    func duplicateForSyncOnThread() -> (UInt64, Int32)? {
        guard dirty, let file = activeFile else { return nil }
        let duplicate = dup(file.descriptor)
        guard duplicate >= 0 else { return nil }
        dirty = false
        return (file.segment, duplicate)
    }

    /// An fsync of the active segment failed: after a failed fsync the kernel may have dropped
    /// its unwritten pages, so nothing more is appended to that file; it is replayed as it reads.
    func syncFailedOnThread(segment: UInt64, errno code: Int32) {
        statsBox.withLock { $0.syncFailures += 1 }
        logger.error("cannot fsync the spool segment; it is closed and appends go to a new one", metadata: [
            "spool.path": "\(url(segment).path)", "error.message": "\(String(cString: strerror(code)))",
        ])
        guard activeFile?.segment == segment else { return }
        state.seal(segment: segment)
        // No second fsync: after a failure Linux may report success for pages it dropped.
        sealActiveOnThread(fsync: false)
    }

    /// Marks the oldest segment for replay (sealing it when it takes appends) and returns it with
    /// the records the bookkeeping expects in it.
    func startReplayOnThread() -> (UInt64, Int)? {
        guard let (segment, seal) = state.startReplay() else { return nil }
        if seal { sealActiveOnThread() }
        return (segment, state.records(segment: segment))
    }
}

#if canImport(Glibc)
import Glibc
#endif
