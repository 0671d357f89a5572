import ConfigValues

/// `spool`: the disk spool used while PostgreSQL is unreachable or the queue is full.
public struct SpoolConfiguration: Codable, Sendable, Equatable {
    /// `dir`: the spool directory, created when missing. Default `spool` (relative to the working directory).
    public var dir = "spool"
    /// `sync_interval`: how often appended records are fsync'd; a crash loses at most this much. Default `1s`.
    public var syncInterval = ConfigDuration.seconds(1)
    /// `max_bytes`: the most bytes all segments may hold. Default `1GiB`.
    public var maxBytes = ByteSize(bytes: 1 << 30)
    /// `segment_bytes`: a segment is closed and a new one started past this size. Default `16MiB`.
    public var segmentBytes = ByteSize.mebibytes(16)
    /// `when_full`: what to drop past `max_bytes`. Default `drop_newest`.
    public var whenFull = FullPolicy.dropNewest

    /// What the spool drops when it would grow past `max_bytes`.
    public enum FullPolicy: String, Codable, Sendable, CaseIterable {
        /// Refuse the record being appended.
        case dropNewest = "drop_newest"
        /// Delete the oldest closed segments to make room.
        case dropOldest = "drop_oldest"
    }

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dir
        case syncInterval = "sync_interval"
        case maxBytes = "max_bytes"
        case segmentBytes = "segment_bytes"
        case whenFull = "when_full"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = Self()
        dir = try container.decodeIfPresent(String.self, forKey: .dir) ?? defaults.dir
        syncInterval = try container.decodeIfPresent(ConfigDuration.self, forKey: .syncInterval) ?? defaults.syncInterval
        maxBytes = try container.decodeIfPresent(ByteSize.self, forKey: .maxBytes) ?? defaults.maxBytes
        segmentBytes = try container.decodeIfPresent(ByteSize.self, forKey: .segmentBytes) ?? defaults.segmentBytes
        whenFull = try container.decodeIfPresent(FullPolicy.self, forKey: .whenFull) ?? defaults.whenFull
    }
}
