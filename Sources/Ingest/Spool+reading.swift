import Foundation
import Logging
import NIOCore

extension Spool {
    /// Lists the segments in `directory` (creating it when missing), counting each one's valid
    /// records. Segments without a valid record are deleted. Returns the number of corrupt tails.
    static func scan(_ directory: URL) throws -> ([SpoolSegments.Segment], Int) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw IngestError(
                code: .spool, operation: "open spool", message: "\(directory.path): \(error.localizedDescription)",
                advice: "Set spool.dir to a directory this process can create and write."
            )
        }
        guard access(directory.path, W_OK | X_OK) == 0 else {
            throw IngestError.spool("open spool", path: directory.path, errno: errno)
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var segments: [SpoolSegments.Segment] = []
        var corruptTails = 0
        for name in names where name.hasPrefix("segment-") && name.hasSuffix(".spool") {
            guard let id = UInt64(name.dropFirst("segment-".count).dropLast(".spool".count)) else { continue }
            let url = directory.appendingPathComponent(name)
            let (records, corrupt) = read(url, logger: nil)
            if corrupt { corruptTails += 1 }
            if records.isEmpty {
                unlink(url.path)
                continue
            }
            let bytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            segments.append(.init(id: id, bytes: bytes, records: records.count, sealed: true))
        }
        return (segments, corruptTails)
    }

    /// Reads every valid record of a segment file, in order, stopping at the first truncated or
    /// corrupt record. Returns the records and whether a corrupt tail was skipped.
    static func read(_ url: URL, logger: Logger?) -> ([ActivityRecord], Bool) {
        guard let data = FileManager.default.contents(atPath: url.path) else { return ([], false) }
        var buffer = ByteBuffer(bytes: data)
        guard buffer.readBytes(length: magic.count) == magic else {
            logger?.warning("spool segment has no valid header; skipped", metadata: ["spool.path": "\(url.path)"])
            return ([], true)
        }
        var records: [ActivityRecord] = []
        while buffer.readableBytes > 0 {
            guard let length = buffer.readInteger(as: UInt32.self), let crc = buffer.readInteger(as: UInt32.self),
                  Int(length) <= maxPayloadBytes, var payload = buffer.readSlice(length: Int(length)),
                  payload.withUnsafeReadableBytes({ CRC32.checksum($0) }) == crc,
                  let record = BinaryCopyFormat.readTuple(from: &payload)
            else {
                logger?.warning("spool segment has a truncated or corrupt tail; skipped", metadata: [
                    "spool.path": "\(url.path)", "spool.records_read": "\(records.count)",
                ])
                return (records, true)
            }
            records.append(record)
        }
        return (records, false)
    }
}

#if canImport(Glibc)
import Glibc
#endif
