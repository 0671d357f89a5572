#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import PostgreSQL

extension StorageError.Code {
    /// A record was rejected before it was queued.
    public static let invalidRecord = StorageError.Code(name: "invalid_record")
    /// The spool directory or one of its files could not be used.
    public static let spool = StorageError.Code(name: "spool")
}

extension StorageError {
    static func invalidRecord(_ message: String) -> StorageError {
        StorageError(
            code: .invalidRecord, operation: "validate record", message: message,
            advice: "Fix the value where the record is built; this record was not stored."
        )
    }

    static func spool(_ operation: String, path: String, errno code: Int32) -> StorageError {
        StorageError(
            code: .spool, operation: operation, message: "\(path): \(String(cString: strerror(code)))",
            advice: "Check that spool.dir exists, is writable by this process and that its disk has space."
        )
    }
}
