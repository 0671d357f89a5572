import Foundation
import JSONWriting
import NIOCore

extension BinaryCopyFormat {
    /// Appends the tuple of `values` and returns true when they are clean: when
    /// `ActivityRecord.validated()` would take `values.record` as it is, neither repairing nor
    /// refusing it. The bytes are then exactly those of `writeTuple(values.record)`. Otherwise
    /// writes nothing and returns false: the caller validates the record (the careful way).
    static func writeTuple(ifClean values: borrowing ActivityRowValues, into buffer: inout ByteBuffer) -> Bool {
        guard let metadataBytes = values.cleanMetadataBytes else { return false }
        // Parsed once, for the check and for the bytes (validation parses with the same function).
        let ipAddress = InetField(values.columns.ipAddress)
        let peerAddress = InetField(values.columns.peerAddress)
        guard values.columns.ipAddress == nil || ipAddress.count > 0, values.columns.peerAddress == nil || peerAddress.count > 0,
              values.columns.isClean(metadataBytes: metadataBytes)
        else { return false }
        writeTuple(values.columns, ipAddress: ipAddress, peerAddress: peerAddress, metadataBytes: metadataBytes, into: &buffer) {
            values.writeMetadata(&$0)
        }
        return true
    }
}

extension ActivityRecord {
    /// Whether `validated()` keeps these columns as they are, with metadata JSON of
    /// `metadataBytes` that needs no repair: its checks one by one (keep the two in step;
    /// `RowValuesTests` compares them): status and date in range, `activity_type` and `user_id`
    /// short enough for their indexes, no NUL in any text, all text within `maximumTextBytes`.
    /// The addresses and the metadata are checked by the caller.
    func isClean(metadataBytes: Int) -> Bool {
        guard (-32768...32767).contains(status), Self.accepts(occurredAt),
              activityType.utf8.count <= Self.maximumIndexedTextBytes, (userID?.utf8.count ?? 0) <= Self.maximumIndexedTextBytes
        else { return false }
        guard textBytes - metadataJSON.utf8.count + metadataBytes <= Self.maximumTextBytes else { return false }
        return !(activityType.containsNUL || description.containsNUL || method.containsNUL || path.containsNUL || ruleID.containsNUL
            || userID?.containsNUL == true || ipAddress?.containsNUL == true || userAgent?.containsNUL == true
            || requestID?.containsNUL == true || peerAddress?.containsNUL == true || forwardedChain?.containsNUL == true)
    }
}

extension ActivityRowValues {
    /// The bytes of the metadata JSON when no key or value needs an escape (then the text is what
    /// `JSONText.Object` makes, with no escape for validation to repair); nil otherwise.
    var cleanMetadataBytes: Int? {
        var total = 2  // {}
        for index in metadata.indices {
            let (key, value) = metadata[index]
            guard !JSONText.needsEscape(key) else { return nil }
            total += (index > 0 ? 1 : 0) + key.utf8.count + 3  // a comma, the key's quotes, the colon
            switch value {
            case .string(let text):
                guard !JSONText.needsEscape(text) else { return nil }
                total += text.utf8.count + 2
            case .integer(let number): total += TupleWriter.decimalBytes(number)
            case .boolean(let flag): total += flag ? 4 : 5
            }
        }
        return total
    }

    func writeMetadata(_ writer: inout TupleWriter) {
        writer.byte(UInt8(ascii: "{"))
        for index in metadata.indices {
            let (key, value) = metadata[index]
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.quoted(key)
            writer.byte(UInt8(ascii: ":"))
            switch value {
            case .string(let text): writer.quoted(text)
            case .integer(let number): writer.decimal(number)
            case .boolean(let flag): writer.text(flag ? "true" : "false", withLength: false)
            }
        }
        writer.byte(UInt8(ascii: "}"))
    }
}

extension TupleWriter {
    mutating func byte(_ value: UInt8) {
        integer(value)
    }

    /// `"text"`, for text that needs no JSON escape.
    mutating func quoted(_ text: String) {
        byte(UInt8(ascii: "\""))
        self.text(text, withLength: false)
        byte(UInt8(ascii: "\""))
    }

    /// The bytes `decimal(value)` stores: `String(value).utf8.count`.
    static func decimalBytes(_ value: Int) -> Int {
        var magnitude = value.magnitude
        var count = value < 0 ? 2 : 1
        while magnitude >= 10 {
            magnitude /= 10
            count += 1
        }
        return count
    }

    /// `value` in decimal, as `String(value)` spells it.
    mutating func decimal(_ value: Int) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let digits = Self.decimalBytes(value) - (value < 0 ? 1 : 0)
        var position = digits
        repeat {
            position -= 1
            (cursor + position).storeBytes(of: UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10), as: UInt8.self)
            magnitude /= 10
        } while position > 0
        skip(digits)
    }
}

extension ActivityRowValues {
    /// The tuple the careful way makes (`record`, validated, encoded), or nil when validation
    /// refuses the values: what `writeTuple(ifClean:)` must equal whenever it writes. For the tests
    /// and `fuzz-row-values`.
    var carefulTuple: ByteBuffer? {
        guard let validated = try? record.validated() else { return nil }
        var buffer = ByteBuffer()
        BinaryCopyFormat.writeTuple(validated, into: &buffer)
        return buffer
    }
}
