import Foundation

/// Who this sidecar is in its heartbeat row: an id, the host, the version, when it started.
/// Fixed for the life of the writer.
public struct InstanceIdentity: Sendable, Equatable {
    /// The most bytes of an instance id (`ingest.instance_id`), and of the host name stored.
    public static let maxBytes = 128

    /// `ingest.instance_id`, or `<hostname>:<pid>`.
    public var id: String
    /// The host name, cut to `maxBytes`.
    public var hostname: String
    /// The sidecar's version, as the executable names it.
    public var version: String
    /// When the writer was made.
    public var startedAt: Date

    public init(id: String, hostname: String, version: String, startedAt: Date) {
        self.id = id
        self.hostname = hostname
        self.version = version
        self.startedAt = startedAt
    }

    /// This process: the configured id, or `<hostname>:<pid>` (the host name cut so the whole
    /// fits `maxBytes`).
    static func current(configuredID: String?, version: String) -> InstanceIdentity {
        let hostname = Self.hostname()
        let pid = ":\(getpid())"
        let id = configuredID ?? Self.prefix(of: hostname, bytes: maxBytes - pid.utf8.count) + pid
        return InstanceIdentity(id: id, hostname: Self.prefix(of: hostname, bytes: maxBytes), version: version, startedAt: Date())
    }

    /// What is wrong with a configured id, as the end of a sentence, or `nil`.
    static func problem(with id: String) -> String? {
        if id.isEmpty { return "is empty; name this sidecar, or leave the key out for <hostname>:<pid>" }
        if id.utf8.count > maxBytes { return "is \(id.utf8.count) bytes long; it must be at most \(maxBytes)" }
        if id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) { return "holds a control character" }
        return nil
    }

    /// The longest prefix of `text` that fits in `bytes` UTF-8 bytes, cut on a character boundary.
    static func prefix(of text: String, bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var result = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            guard used + size <= bytes else { break }
            result.append(character)
            used += size
        }
        return result
    }

    private static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown-host" }
        let name = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "unknown-host" : name
    }
}
