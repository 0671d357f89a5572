#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import PostgreSQL

/// What `spool.dir` holds and whether a sidecar could use it, seen from outside the sidecar
/// (`trackingproxy doctor`): nothing is created, locked or read beyond file sizes.
///
/// Blocking file-system calls: run it off the event loops and the cooperative pool's hot paths
/// (a command's main task is fine).
public struct SpoolUsage: Sendable, Equatable {
    /// The directory measured, as configured.
    public var directory: String
    /// Whether it exists yet (the sidecar creates it at start when its parent is writable).
    public var exists: Bool
    /// Segment files (`segment-N.spool`) waiting to be replayed.
    public var segments: Int
    /// Their total size in bytes.
    public var bytes: Int64
    /// Segment files renamed aside as damaged (`*.damaged-<time>`), kept for a person.
    public var damagedFiles: Int

    /// Measures `configuration.dir`: throws a `.spool` `StorageError` when it is not a directory,
    /// cannot be created (missing, with an unwritable parent), or a file cannot be created in it
    /// (tried for real, then removed, so that a read-only file system or a full disk shows).
    public static func measure(_ configuration: SpoolConfiguration) throws(StorageError) -> SpoolUsage {
        let path = configuration.dir
        var usage = SpoolUsage(directory: path, exists: false, segments: 0, bytes: 0, damagedFiles: 0)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
            guard access(parent, W_OK | X_OK) == 0 else { throw StorageError.spool("check spool directory", path: parent, errno: errno) }
            return usage
        }
        guard isDirectory.boolValue else {
            throw StorageError(code: .spool, operation: "check spool directory", message: "\(path) is not a directory",
                               advice: "Set spool.dir to a directory (or a path where one can be created), not a file.")
        }
        usage.exists = true
        try probeWrite(in: path)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for name in names where name.hasPrefix("segment-") {
            if name.contains(".damaged-") {
                usage.damagedFiles += 1
            } else if name.hasSuffix(".spool") {
                usage.segments += 1
                let size = (try? FileManager.default.attributesOfItem(atPath: path + "/" + name))?[.size] as? NSNumber
                // Saturating: sizes come from the file system, and a total is only reported.
                let (sum, overflow) = usage.bytes.addingReportingOverflow(max(0, size?.int64Value ?? 0))
                usage.bytes = overflow ? .max : sum
            }
        }
        return usage
    }

    /// Creates, writes and removes a file in `path`.
    private static func probeWrite(in path: String) throws(StorageError) {
        let probe = path + "/.trackingproxy-doctor-\(getpid())"
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StorageError.spool("write to spool directory", path: path, errno: errno) }
        defer { unlink(probe) }
        let written = write(descriptor, "probe", 5)
        let code = errno
        close(descriptor)
        guard written == 5 else { throw StorageError.spool("write to spool directory", path: path, errno: code) }
    }
}
