import Foundation
import NIOPosix

/// Writes report files atomically: the text goes to a temporary file in the same directory, then
/// `rename(2)` puts it in place, so a reader sees the old file or the new one, never half of one.
/// File I/O runs on NIO's thread pool, never on the cooperative pool.
public struct ReportFiles: Sendable {
    /// The directory the files go to; created (with parents) when missing.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The formats the job writes, with their file extensions.
    public static let extensions = ["md", "html", "json"]

    /// Writes `weekly-<week>.md`, `.html` and `.json`; returns their paths.
    /// - Throws: `ReportError.writeFailed` naming the file.
    public func write(_ report: WeeklyReport) async throws -> [String] {
        let base = URL(fileURLWithPath: directory, isDirectory: true)
        let files: [(URL, String)] = [
            (base.appendingPathComponent("weekly-\(report.week).md"), report.markdown),
            (base.appendingPathComponent("weekly-\(report.week).html"), report.html),
            (base.appendingPathComponent("weekly-\(report.week).json"), report.json + "\n"),
        ]
        return try await NIOThreadPool.singleton.runIfActive {
            do {
                try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
            } catch {
                throw ReportError.writeFailed(path: base.path, reason: Self.reason(error))
            }
            for (url, text) in files { try Self.writeAtomically(text, to: url) }
            return files.map { $0.0.path }
        }
    }

    /// Writes `text` to `url` through a temporary file beside it and a rename. Blocking: call it
    /// on a thread pool (or from a command-line tool's own thread).
    /// - Throws: `ReportError.writeFailed`.
    public static func writeAtomically(_ text: String, to url: URL) throws(ReportError) {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try Data(text.utf8).write(to: temporary, options: [.withoutOverwriting])
        } catch {
            throw .writeFailed(path: url.path, reason: reason(error))
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw .writeFailed(path: url.path, reason: reason)
        }
    }

    static func reason(_ error: any Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }
}
