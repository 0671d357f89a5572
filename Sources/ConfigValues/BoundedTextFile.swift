#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a text file the process was given by path (the configuration, the rules file, a rules
/// test file, the tokens file): only a regular file (a symbolic link to one is fine: Kubernetes
/// mounts ConfigMaps and Secrets that way), at most `maxBytes`, UTF-8. `/dev/zero`, a FIFO, a
/// directory or a huge log named by mistake is an error a person can act on, never a hang or an
/// exhausted memory.
///
/// The path's type is checked before it is opened (opening some devices has effects), then again
/// on the open descriptor, so the file cannot be swapped between check and read; the open is
/// non-blocking (a FIFO without a writer would block it), and reads are blocking again.
public enum BoundedTextFile {
    /// Why a file was not read.
    public enum Problem: Error, Sendable, Equatable {
        /// It could not be opened or read; the system's reason.
        case unreadable(reason: String)
        /// It is a directory, device, FIFO or socket.
        case notRegularFile
        /// It holds more than `maxBytes`.
        case tooLarge(maxBytes: Int)
        /// Its bytes are not UTF-8.
        case notUTF8
    }

    /// The largest configuration file read (the main one and the tokens file): they hold kilobytes.
    public static let largestConfigurationFile = 1 << 20
    /// The largest rules file or rules test file read: a thousand rules take a few hundred KiB.
    public static let largestRulesFile = 8 << 20

    /// The file's text; blocking file I/O (call it where configuration is read, not on an event loop).
    public static func read(path: String, maxBytes: Int) throws(Problem) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .unreadable(reason: systemReason()) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .notRegularFile }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw .unreadable(reason: systemReason()) }
        defer { close(descriptor) }
        guard fstat(descriptor, &info) == 0 else { throw .unreadable(reason: systemReason()) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .notRegularFile }
        // Blocking reads: a filesystem that honours O_NONBLOCK (FUSE, a lease) would answer EAGAIN.
        let flags = fcntl(descriptor, F_GETFL)
        guard flags >= 0, fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) == 0 else { throw .unreadable(reason: systemReason()) }
        let limit = max(0, maxBytes)
        // One byte more than allowed, to tell "exactly the limit" from "more"; the size the file
        // claims only sizes the first buffer (files in /proc claim 0, a broken filesystem less).
        var bytes = [UInt8](repeating: 0, count: min(limit, max(0, Int(clamping: info.st_size))) + 1)
        var count = 0
        while true {
            if count == bytes.count {
                guard bytes.count <= limit else { break }
                bytes.append(contentsOf: repeatElement(0, count: min(limit + 1 - bytes.count, max(4096, bytes.count))))
            }
            let got = bytes.withUnsafeMutableBytes { buffer in
                readBytes(descriptor, buffer.baseAddress.map { $0 + count }, buffer.count - count)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw .unreadable(reason: systemReason())
            }
            if got == 0 { break }
            count += got
        }
        guard count <= limit else { throw .tooLarge(maxBytes: limit) }
        guard let text = String(validating: bytes[..<count], as: UTF8.self) else { throw .notUTF8 }
        return text
    }

    private static func systemReason() -> String {
        String(cString: strerror(errno))
    }
}

/// `read(2)`, named apart from `BoundedTextFile.read`.
private func readBytes(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

extension BoundedTextFile.Problem {
    /// What is wrong, as the end of a sentence about the file: "the rules file /x.yaml " + this.
    public func describe(kind: String) -> String {
        switch self {
        case .unreadable(let reason): "cannot be read (\(reason)); check the path and its permissions"
        case .notRegularFile: "is not a regular file; give the path of the \(kind)"
        case .tooLarge(let maxBytes): "is larger than \(maxBytes) bytes, more than any \(kind) needs; check the path"
        case .notUTF8: "is not UTF-8 text"
        }
    }
}
