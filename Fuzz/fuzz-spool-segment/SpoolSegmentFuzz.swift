import FuzzDriver
import Ingest

/// Invariant: for any bytes, decoding them as a spool segment never traps and ends, returns only
/// whole records (each at least the smallest record's size, each already valid: validating it
/// again changes nothing), believes nothing of a file without the segment header, and counts a
/// damaged place for bytes that are not whole records. The bytes are also decoded as the payload
/// of one record with a correct CRC32, so the tuple decoder and the validation behind the CRC are
/// fuzzed too. An unbounded allocation from a length field shows as libFuzzer's malloc limit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    check(SpoolSegmentContents(decoding: bytes), size: size)

    // The same bytes as one record's payload, behind a header, a length and a matching CRC32.
    var segment = SpoolSegmentContents.magic
    let length = UInt32(truncatingIfNeeded: size)
    let checksum = CRC32.checksum(bytes)
    for shift in [24, 16, 8, 0] { segment.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
    for shift in [24, 16, 8, 0] { segment.append(UInt8(truncatingIfNeeded: checksum >> UInt32(shift))) }
    segment.append(contentsOf: bytes)
    let wrapped = segment.withUnsafeBytes { SpoolSegmentContents(decoding: $0) }
    check(wrapped, size: segment.count)
    // Either the payload is one whole record (and nothing follows it), or it is damage (records
    // found inside it after the damage are fine: the payload may hold a segment's bytes).
    precondition(wrapped.damagedRegions > 0 || wrapped.records.count == 1, "a whole payload is one record or damage")
    return 0
}

private func check(_ contents: SpoolSegmentContents, size: Int) {
    // Header, then per record a length, a CRC and at least the column count and 17 field lengths.
    let smallestRecord = 8 + 2 + 17 * 4
    precondition(contents.hasHeader || contents.records.isEmpty, "a file without the header gives no record")
    precondition(contents.hasHeader || size == 0 || contents.damagedRegions == 1, "a foreign file is one damaged place")
    precondition(contents.records.count <= max(0, size - 8) / smallestRecord, "more records than bytes allow")
    precondition(contents.damagedRegions <= max(1, size), "more damaged places than bytes")
    for record in contents.records {
        precondition((try? record.validated()) == record, "a record read back is valid as it is")
    }
}

@main
enum SpoolSegmentFuzz { static func main() { runFuzzer(fuzzOneInput) } }
