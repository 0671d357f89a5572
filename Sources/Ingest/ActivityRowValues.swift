import Foundation
import JSONWriting

/// An `activity` row as the proxy has it: every column, with `metadata` still as members rather
/// than JSON text. `ActivityWriter.encode(_:into:)` writes the binary COPY tuple straight from it.
///
/// Measured reason (`tracking-bench`, BENCHMARKS.md "Tracking at equal load"): building the
/// metadata as a JSON string grown member by member, validating the record (which reads that JSON
/// back and parses both addresses) and then encoding it (parsing the addresses again) was ~20% of
/// what tracking cost the event loop; written straight, it is −0.8 µs per tracked request.
///
/// Values that `ActivityRecord.validated()` would neither repair nor refuse (`isClean`: the
/// common case) are written as they are; any other goes through `record` and `validated()`, so
/// both ways store the same bytes (`RowValuesTests` checks it, `fuzz-row-values` fuzzes it).
public struct ActivityRowValues: Sendable {
    /// A metadata member's value.
    public enum MetadataValue: Sendable, Equatable {
        case string(String)
        case integer(Int)
        case boolean(Bool)
    }

    /// Every column but `metadata`: its `metadataJSON` is not read.
    public var columns: ActivityRecord
    /// The members of the `metadata` object, written in this order: the caller sorts them (so
    /// equal metadata is equal text) and keeps the keys unique.
    public var metadata: [(key: String, value: MetadataValue)]

    public init(columns: ActivityRecord, metadata: [(key: String, value: MetadataValue)]) {
        self.columns = columns
        self.metadata = metadata
    }

    /// The record of these values, metadata as JSON text (`JSONText`), not yet validated: the way
    /// for values that are not clean, and for callers that want a record (logs, tests).
    public var record: ActivityRecord {
        var object = JSONText.Object()
        for member in metadata {
            switch member.value {
            case .string(let text): object.add(member.key, string: text)
            case .integer(let number): object.add(member.key, raw: String(number))
            case .boolean(let flag): object.add(member.key, raw: flag ? "true" : "false")
            }
        }
        var record = columns
        record.metadataJSON = object.text
        return record
    }
}
