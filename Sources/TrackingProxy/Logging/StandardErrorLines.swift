#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Writes whole lines to standard error, one at a time (`emit`): the sink of `JSONLogHandler`.
///
/// Threading: any thread may call `emit` at once; the mutex keeps each line's bytes together
/// (a line longer than `PIPE_BUF` takes several `write(2)` calls, which another thread's line must
/// not interleave with). Unbuffered, like swift-log's `StreamLogHandler` after its flush: a line is
/// out before `emit` returns, so nothing is lost when the process is killed right after.
enum StandardErrorLines {
    private static let lock = Mutex<Void>(())

    /// Writes `line` (which carries its own newline); a failed write (a closed pipe) drops the rest of it.
    static func emit(_ line: String) {
        var line = line
        lock.withLock { _ in
            line.withUTF8 { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(STDERR_FILENO, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0, errno == EINTR {
                        continue
                    } else {
                        return
                    }
                }
            }
        }
    }

    /// Whether standard error is a terminal (`log.format: auto` writes text then).
    static var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}
