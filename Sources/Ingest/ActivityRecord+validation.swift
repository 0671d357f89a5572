import Foundation
import PostgreSQL

extension ActivityRecord {
    /// The largest record accepted, counting every text field: bigger records are refused so that
    /// one record cannot fill a batch, the spool or PostgreSQL's 1 GB field limit.
    public static let maximumTextBytes = 4 << 20

    /// The longest `user_id` and `activity_type` accepted, in UTF-8 bytes: both are indexed, and
    /// a B-tree entry must stay well under PostgreSQL's limit of about 2,700 bytes.
    public static let maximumIndexedTextBytes = 1024

    /// The earliest and latest `occurredAt` accepted, in seconds since 1970; outside, the clock or
    /// the caller is wrong.
    static let acceptedSeconds = 0.0...253_402_300_799.0

    /// Whether `date` is within `acceptedSeconds`. Compared as seconds: `ClosedRange<Date>` took
    /// a date that is not a number (its `<=` is `!(b < a)`), which the encoder's conversion to
    /// microseconds then trapped on.
    static func accepts(_ date: Date) -> Bool {
        acceptedSeconds.contains(date.timeIntervalSince1970)
    }

    /// Checks and repairs the record so that PostgreSQL accepts it and one bad value can never
    /// poison a batch.
    ///
    /// Repaired, and noted in `metadata` under `"ingest_repairs"`: NUL characters in text
    /// (PostgreSQL's text cannot hold them) are removed; an IP address that is not an IPv4 or IPv6
    /// literal becomes `nil` (an IPv6 zone such as `%eth0` is dropped); `\u0000` escapes in
    /// metadata are removed; a `user_id` over `maximumIndexedTextBytes` is cut to at most that many
    /// bytes, on a character (Unicode scalar) boundary, so it stays valid UTF-8. Refused with
    /// `StorageError.Code.invalidRecord`: a status outside smallint's range, metadata that is not a
    /// JSON object, a date outside 1970...9999, text over `maximumTextBytes`, an `activity_type`
    /// (it comes from the rules, not the request) over `maximumIndexedTextBytes`.
    public consuming func validated() throws(StorageError) -> ActivityRecord {
        guard (-32768...32767).contains(status) else {
            throw .invalidRecord("status \(status) is outside -32768...32767 (smallint)")
        }
        guard Self.accepts(occurredAt) else {
            // The seconds, not the date: describing a date that is not a number traps in Foundation.
            throw .invalidRecord("occurred_at (\(occurredAt.timeIntervalSince1970) s after 1970) is outside the years 1970...9999")
        }
        // No array literals here: this runs on the request path for every tracked request.
        if activityType.utf8.count > Self.maximumIndexedTextBytes {
            throw .invalidRecord("activity_type is \(activityType.utf8.count) bytes long, more than \(Self.maximumIndexedTextBytes)")
        }
        var record = self
        var repairs: [String] = []
        record.repairText(&repairs)
        record.repairUserID(&repairs)
        record.repairAddresses(&repairs)
        guard record.textBytes <= Self.maximumTextBytes else {
            throw .invalidRecord("the record holds \(record.textBytes) bytes of text, more than \(Self.maximumTextBytes)")
        }
        try record.repairMetadata(noting: repairs)
        return record
    }

    var textBytes: Int {
        var total = activityType.utf8.count + description.utf8.count + method.utf8.count + path.utf8.count
        total += metadataJSON.utf8.count + ruleID.utf8.count
        total += (userID?.utf8.count ?? 0) + (ipAddress?.utf8.count ?? 0) + (userAgent?.utf8.count ?? 0)
        total += (requestID?.utf8.count ?? 0) + (peerAddress?.utf8.count ?? 0) + (forwardedChain?.utf8.count ?? 0)
        return total
    }

    private mutating func repairText(_ repairs: inout [String]) {
        func strip(_ text: inout String, _ column: String) {
            guard text.containsNUL else { return }
            text.removeAll { $0 == "\u{0}" }
            repairs.append("\(column): NUL characters removed")
        }
        func strip(_ text: inout String?, _ column: String) {
            // Written back only when repaired: a write-back of every field cost retains and releases
            // on every tracked request.
            guard var value = text, value.containsNUL else { return }
            strip(&value, column)
            text = value
        }
        strip(&userID, "user_id")
        strip(&activityType, "activity_type")
        strip(&description, "description")
        strip(&method, "method")
        strip(&path, "path")
        strip(&ipAddress, "ip_address")
        strip(&userAgent, "user_agent")
        strip(&requestID, "request_id")
        strip(&peerAddress, "peer_address")
        strip(&forwardedChain, "forwarded_chain")
        strip(&ruleID, "rule_id")
    }

    /// A user id comes from outside (a header, a token claim): one too long for the index is cut,
    /// not refused, so that the activity is still recorded.
    private mutating func repairUserID(_ repairs: inout [String]) {
        guard let text = userID else { return }
        let byteCount = text.utf8.count
        guard byteCount > Self.maximumIndexedTextBytes else { return }
        let cut = text.utf8Prefix(maximumBytes: Self.maximumIndexedTextBytes)
        userID = cut
        repairs.append("user_id: truncated from \(byteCount) to \(cut.utf8.count) bytes")
    }

    private mutating func repairAddresses(_ repairs: inout [String]) {
        func repair(_ address: inout String?, _ column: String) {
            guard let text = address else { return }
            if InetAddress.isValid(text) { return }
            if let percent = text.firstIndex(of: "%"), InetAddress.isValid(String(text[..<percent])) {
                address = String(text[..<percent])
                repairs.append("\(column): IPv6 zone removed")
                return
            }
            address = nil
            repairs.append("\(column): not an IP address: \(text.prefix(64))")
        }
        repair(&ipAddress, "ip_address")
        repair(&peerAddress, "peer_address")
    }

    private mutating func repairMetadata(noting repairs: [String]) throws(StorageError) {
        let syntax = JSONSyntax.check(metadataJSON)
        guard syntax.isObject else {
            throw .invalidRecord("metadata is not a JSON object")
        }
        let hasNulEscape = syntax.hasEscapesJSONBRefuses
        guard hasNulEscape || !repairs.isEmpty else { return }
        // The slow path, for records that need a repair: rebuild the object with Foundation.
        guard let object = try? JSONSerialization.jsonObject(with: Data(metadataJSON.utf8)),
              var dictionary = object as? [String: Any]
        else {
            throw .invalidRecord("metadata could not be read back as a JSON object")
        }
        var notes = repairs
        if hasNulEscape {
            dictionary = Self.removingNul(dictionary) as? [String: Any] ?? [:]
            notes.append("metadata: NUL characters or unpaired surrogates removed")
        }
        dictionary["ingest_repairs"] = notes
        guard let data = try? JSONSerialization.data(withJSONObject: dictionary, options: [.sortedKeys]),
              let text = String(data: data, encoding: .utf8)
        else {
            throw .invalidRecord("metadata could not be written back as JSON")
        }
        metadataJSON = text
    }

    private static func removingNul(_ value: Any) -> Any {
        switch value {
        case let text as String:
            return text.replacingOccurrences(of: "\u{0}", with: "")
        case let array as [Any]:
            return array.map(removingNul)
        case let dictionary as [String: Any]:
            var result: [String: Any] = [:]
            for (key, element) in dictionary { result[key.replacingOccurrences(of: "\u{0}", with: "")] = removingNul(element) }
            return result
        default:
            return value
        }
    }
}

extension String {
    /// The longest prefix of at most `maximumBytes` UTF-8 bytes that ends on a Unicode scalar
    /// boundary: a multi-byte character is never cut in two.
    func utf8Prefix(maximumBytes: Int) -> String {
        let bytes = utf8
        guard bytes.count > maximumBytes else { return self }
        var end = bytes.index(bytes.startIndex, offsetBy: max(0, maximumBytes))
        // Step back over continuation bytes (0b10xxxxxx): `end` then starts a scalar.
        while end > bytes.startIndex, bytes[end] & 0xC0 == 0x80 { end = bytes.index(before: end) }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    /// Whether the text holds a NUL character. `memchr` over the contiguous UTF-8 of a native
    /// string: the generic `utf8.contains(0)` over the eleven text fields cost 0.3 µs per record.
    var containsNUL: Bool {
        utf8.withContiguousStorageIfAvailable { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
            return memchr(base, 0, bytes.count) != nil
        } ?? utf8.contains(0)
    }
}
