import ConfigValues
import Foundation
import Testing

/// Files named in the configuration are read only when they are regular files of bounded size:
/// the mistakes that used to hang the process (`--config /dev/zero`, a FIFO) are sentences.
@Suite struct BoundedTextFileTests {
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bounded-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func aRegularFileAndALinkToOneAreRead() throws {
        let folder = try Self.directory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("config.yaml")
        try Data("proxy:\n  listen: 0.0.0.0:8080\n# Zoë\n".utf8).write(to: file)
        #expect(try BoundedTextFile.read(path: file.path, maxBytes: 1 << 20) == "proxy:\n  listen: 0.0.0.0:8080\n# Zoë\n")
        // As Kubernetes mounts a ConfigMap: a link to a link to the file.
        let data = folder.appendingPathComponent("..data")
        try FileManager.default.createSymbolicLink(at: data, withDestinationURL: file)
        let link = folder.appendingPathComponent("mounted.yaml")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: data)
        #expect(try BoundedTextFile.read(path: link.path, maxBytes: 1 << 20).hasPrefix("proxy:"))
        let empty = folder.appendingPathComponent("empty.yaml")
        try Data().write(to: empty)
        #expect(try BoundedTextFile.read(path: empty.path, maxBytes: 0) == "")
    }

    @Test func theLimitIsExact() throws {
        let folder = try Self.directory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("rules.yaml")
        try Data(repeating: UInt8(ascii: "#"), count: 10_000).write(to: file)
        #expect(try BoundedTextFile.read(path: file.path, maxBytes: 10_000).utf8.count == 10_000)
        #expect(throws: BoundedTextFile.Problem.tooLarge(maxBytes: 9_999)) { try BoundedTextFile.read(path: file.path, maxBytes: 9_999) }
        #expect(throws: BoundedTextFile.Problem.tooLarge(maxBytes: 100)) { try BoundedTextFile.read(path: file.path, maxBytes: 100) }
    }

    /// Files in /proc claim a size of 0: the buffer grows as the bytes come, up to the limit.
    @Test func aFileLargerThanItClaimsIsReadUpToTheLimit() throws {
        let status = try BoundedTextFile.read(path: "/proc/self/status", maxBytes: 1 << 20)
        #expect(status.hasPrefix("Name:"))
        #expect(status.utf8.count > 200)
        #expect(throws: BoundedTextFile.Problem.tooLarge(maxBytes: 100)) { try BoundedTextFile.read(path: "/proc/self/status", maxBytes: 100) }
    }

    @Test func devicesDirectoriesAndFIFOsAreRefusedWithoutWaiting() throws {
        #expect(throws: BoundedTextFile.Problem.notRegularFile) { try BoundedTextFile.read(path: "/dev/zero", maxBytes: 1 << 20) }
        #expect(throws: BoundedTextFile.Problem.notRegularFile) { try BoundedTextFile.read(path: "/tmp", maxBytes: 1 << 20) }
        let folder = try Self.directory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = folder.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        // No writer: a blocking open would wait forever.
        #expect(throws: BoundedTextFile.Problem.notRegularFile) { try BoundedTextFile.read(path: fifo, maxBytes: 1 << 20) }
    }

    @Test func aMissingFileAndBytesThatAreNotUTF8AreSentences() throws {
        let folder = try Self.directory()
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            _ = try BoundedTextFile.read(path: folder.appendingPathComponent("missing.yaml").path, maxBytes: 1 << 20)
            Issue.record("a missing file was read")
        } catch {
            #expect(error.describe(kind: "rules file") == "cannot be read (No such file or directory); check the path and its permissions")
        }
        let binary = folder.appendingPathComponent("binary.yaml")
        try Data([0x61, 0xC3, 0x28, 0x0A]).write(to: binary)
        #expect(throws: BoundedTextFile.Problem.notUTF8) { try BoundedTextFile.read(path: binary.path, maxBytes: 1 << 20) }
        #expect(BoundedTextFile.Problem.tooLarge(maxBytes: 8).describe(kind: "rules file") == "is larger than 8 bytes, more than any rules file needs; check the path")
    }
}
