import Foundation
import NIOCore

/// One `activity` row in the form it is stored in: a binary COPY tuple (`BinaryCopyFormat`), made
/// once, where the row is handed to the writer. The writer ships these bytes to PostgreSQL and the
/// spool stores them as they are: nothing re-encodes a row on its way, and the record's texts are
/// released on the thread that made them.
///
/// Measured reason (BENCHMARKS.md, "Tracking at equal load"): handing whole `ActivityRecord`s to
/// the writer cost the proxy more CPU per tracked request than building them, mostly in the
/// writer's and spool's threads (encoding, then freeing a dozen strings made on an event loop).
///
/// Invariant: `tuple` holds exactly one tuple, of a record that passed `ActivityRecord.validated()`
/// (or of clean `ActivityRowValues`, the same bytes), so PostgreSQL accepts it and the spool's
/// reader takes it back.
public struct EncodedActivity: Sendable {
    /// The tuple's bytes.
    public let tuple: ByteBuffer
    /// When the request happened: picks the month partition.
    public let occurredAt: Date

    init(tuple: ByteBuffer, occurredAt: Date) {
        self.tuple = tuple
        self.occurredAt = occurredAt
    }

    /// Encodes a record that passed `validated()`.
    init(validated record: borrowing ActivityRecord) {
        var buffer = ByteBuffer()
        BinaryCopyFormat.writeTuple(record, into: &buffer)
        tuple = buffer
        occurredAt = record.occurredAt
    }

    /// The record read back from the tuple: for dead letters, logs and tests (not the hot path).
    public var record: ActivityRecord? {
        var bytes = tuple
        guard let record = BinaryCopyFormat.readTuple(from: &bytes), bytes.readableBytes == 0 else { return nil }
        return record
    }
}
