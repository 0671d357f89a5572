import Foundation
import NIOCore

/// Rows recorded on one thread (an event loop) during one turn of it, encoded into one buffer and
/// handed to the writer together (`ActivityWriter.record(_:)` with a batch).
///
/// Measured reason (`tracking-bench`, BENCHMARKS.md): a buffer allocated per row and a lock taken
/// per row cost the event loop more than encoding the row; a turn of a busy loop finishes several
/// tracked requests, which now share one buffer and one lock.
///
/// Invariants: every row is a whole tuple of a record that passed `ActivityRecord.validated()`
/// (or of clean `ActivityRowValues`, which that would keep as they are);
/// rows are in the order they were added. Not `Sendable`: it lives on the thread that fills it.
public struct ActivityRowBatch {
    private var buffer = ByteBuffer()
    /// Where each row starts in `buffer`, and its time; a row ends where the next one starts.
    private var rows: [(start: Int, occurredAt: Date)] = []
    /// The bytes the last batch held: the next buffer is reserved this big, so it rarely grows.
    private var lastBytes = 0

    public init() {}

    /// Whether no row waits.
    public var isEmpty: Bool { rows.isEmpty }

    /// The number of rows waiting.
    public var count: Int { rows.count }

    /// The bytes the waiting rows take.
    public var byteCount: Int { buffer.writerIndex }

    /// The most a new batch reserves: a turn with a few large rows must not make every later
    /// batch reserve as much.
    static let largestReservation = 64 << 10

    /// Appends a validated record's tuple.
    mutating func append(validated record: borrowing ActivityRecord) {
        reserveForFirstRow()
        rows.append((buffer.writerIndex, record.occurredAt))
        BinaryCopyFormat.writeTuple(record, into: &buffer)
    }

    /// Appends the tuple of `values` when they are clean (`BinaryCopyFormat.writeTuple(ifClean:)`);
    /// returns false, and appends nothing, when they must be validated as a record first.
    mutating func append(ifClean values: borrowing ActivityRowValues) -> Bool {
        reserveForFirstRow()
        let start = buffer.writerIndex
        guard BinaryCopyFormat.writeTuple(ifClean: values, into: &buffer) else { return false }
        rows.append((start, values.columns.occurredAt))
        return true
    }

    private mutating func reserveForFirstRow() {
        if rows.isEmpty, buffer.capacity == 0 { buffer.reserveCapacity(min(max(lastBytes, 512), Self.largestReservation)) }
    }

    /// Takes the rows (slices of one buffer: no copy) and starts an empty batch. `missing` counts
    /// rows whose bytes were not where the batch noted them: none by construction (starts ascend,
    /// the last row ends at the writer index), but the caller counts them as dropped rather than
    /// losing them silently should that ever break.
    mutating func take() -> (rows: [EncodedActivity], missing: Int) {
        guard !rows.isEmpty else { return ([], 0) }
        var taken: [EncodedActivity] = []
        taken.reserveCapacity(rows.count)
        var missing = 0
        for index in rows.indices {
            let end = index + 1 < rows.count ? rows[index + 1].start : buffer.writerIndex
            let start = rows[index].start
            guard end >= start, let tuple = buffer.getSlice(at: start, length: end - start) else {
                missing += 1
                continue
            }
            taken.append(EncodedActivity(tuple: tuple, occurredAt: rows[index].occurredAt))
        }
        lastBytes = buffer.writerIndex
        buffer = ByteBuffer()
        rows.removeAll(keepingCapacity: true)
        return (taken, missing)
    }
}
