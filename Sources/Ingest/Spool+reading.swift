import Foundation
import Logging
import NIOCore

extension Spool {
    /// What the start-up scan found.
    struct Scan {
        var segments: [SpoolSegments.Segment] = []
        /// The highest segment id seen, damaged or unreadable files included: new ids start above.
        var highestID: UInt64 = 0
        /// Records lost to damage (at least one per damaged place).
        var lostRecords = 0
        /// Files renamed aside because not one whole record could be read from them.
        var quarantined = 0
    }

    /// Creates the directory when missing and takes its exclusive `flock`; returns the locked
    /// descriptor (released when closed, or when the process dies).
    static func lockDirectory(_ directory: URL) throws(StorageError) -> Int32 {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw StorageError(
                code: .spool, operation: "open spool", message: "\(directory.path): \(error.localizedDescription)",
                advice: "Set spool.dir to a directory this process can create and write."
            )
        }
        guard access(directory.path, W_OK | X_OK) == 0 else {
            throw StorageError.spool("open spool", path: directory.path, errno: errno)
        }
        let descriptor = Glibc.open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw StorageError.spool("open spool", path: directory.path, errno: errno) }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            Glibc.close(descriptor)
            guard code == EWOULDBLOCK else { throw StorageError.spool("lock spool", path: directory.path, errno: code) }
            throw StorageError(
                code: .spool, operation: "lock spool",
                message: "\(directory.path) is in use by another trackingproxy process (it holds the directory's lock)",
                advice: "Give each process its own spool.dir; two processes appending to and replaying one spool would store records twice or lose them."
            )
        }
        return descriptor
    }

    /// Lists the segments in `directory`, counting each one's whole records. A file with no whole
    /// record is deleted when it holds nothing (empty, or the header alone) and renamed aside
    /// otherwise; damaged places are counted as lost records.
    static func scanSegments(_ directory: URL, maximumFileBytes: Int, logger: Logger) -> Scan {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var scan = Scan()
        for name in names where name.hasPrefix("segment-") && name.hasSuffix(".spool") {
            guard let id = UInt64(name.dropFirst("segment-".count).dropLast(".spool".count)) else { continue }
            scan.highestID = max(scan.highestID, id)
            let url = directory.appendingPathComponent(name)
            guard let contents = readSegment(url, maximumFileBytes: maximumFileBytes) else { continue }
            let damaged = contents.damagedRegions > 0
            if damaged {
                scan.lostRecords += contents.damagedRegions
                logger.error("spool segment is damaged: its whole records are kept, the damaged ones are lost", metadata: [
                    "spool.path": "\(url.path)", "spool.records_read": "\(contents.records.count)",
                    "spool.damaged_regions": "\(contents.damagedRegions)",
                ])
            }
            if contents.records.isEmpty {
                if damaged {
                    quarantine(url, logger: logger)
                    scan.quarantined += 1
                } else {
                    unlink(url.path)
                }
                continue
            }
            scan.segments.append(.init(id: id, bytes: fileSize(url), records: contents.records.count, sealed: true, damaged: damaged))
        }
        return scan
    }

    /// Reads and decodes a segment file; `nil` when it cannot be opened. A file larger than
    /// `maximumFileBytes` is not read into memory: it is returned as damage.
    static func readSegment(_ url: URL, maximumFileBytes: Int) -> SpoolSegmentContents? {
        let descriptor = Glibc.open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { Glibc.close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        let size = Int(status.st_size)
        guard size >= 0, size <= maximumFileBytes else {
            return .oversized
        }
        var bytes = [UInt8](repeating: 0, count: size)
        let read = bytes.withUnsafeMutableBytes { raw -> Int in
            var offset = 0
            while offset < raw.count {
                let count = Glibc.read(descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                offset += count
            }
            return offset
        }
        return bytes.withUnsafeBytes { SpoolSegmentContents(decoding: UnsafeRawBufferPointer(rebasing: $0[..<read])) }
    }

    /// Renames a damaged file to `<name>.damaged-<nanoseconds since 1970>`, next to it: kept for a
    /// person to look at, never replayed again. Deletes it only when even the rename fails.
    static func quarantine(_ url: URL, logger: Logger) {
        let stamp = UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000_000))
        let target = url.path + ".damaged-\(stamp)"
        if rename(url.path, target) == 0 {
            logger.error("damaged spool file renamed aside", metadata: ["spool.path": "\(target)"])
        } else {
            logger.error("damaged spool file could not be renamed; deleted", metadata: [
                "spool.path": "\(url.path)", "error.message": "\(String(cString: strerror(errno)))",
            ])
            unlink(url.path)
        }
    }

    static func fileSize(_ url: URL) -> Int {
        var status = stat()
        guard stat(url.path, &status) == 0 else { return 0 }
        return Int(status.st_size)
    }
}

#if canImport(Glibc)
import Glibc
import PostgreSQL
#endif
