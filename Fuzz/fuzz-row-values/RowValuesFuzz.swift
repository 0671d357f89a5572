import Foundation
import FuzzDriver
import NIOCore
@testable import Ingest

/// Invariant: for any row values, the straight way (`BinaryCopyFormat.writeTuple(ifClean:)`)
/// either declines and writes nothing, or writes exactly the careful way's bytes (the record,
/// validated, encoded). The input is split at 0xFF bytes into the text columns and one metadata
/// member; its first bytes pick the status, the date, which texts are NULL and the member's kind.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard bytes.count >= 4 else { return 0 }
    let flags = bytes[0]
    let status = Int(Int16(bitPattern: UInt16(bytes[1]) << 8 | UInt16(bytes[2]))) * (flags & 0x80 != 0 ? 3 : 1)
    let dates: [Double] = [1_790_000_000.5, 0, -1, 253_402_300_799, 253_402_300_800, .nan, .infinity, 946_684_800]
    let date = Date(timeIntervalSince1970: dates[Int(bytes[3]) % dates.count])
    var texts = bytes[4...].split(separator: 0xFF, maxSplits: 13, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    while texts.count < 14 { texts.append("") }
    func optional(_ index: Int, bit: UInt8) -> String? { flags & bit != 0 ? nil : texts[index] }
    let member: ActivityRowValues.MetadataValue =
        switch flags & 0x30 {
        case 0x00: .string(texts[8])
        case 0x10: .integer(Int(truncatingIfNeeded: texts[8].utf8.reduce(UInt64(0)) { $0 &* 257 &+ UInt64($1) }))
        default: .boolean(texts[8].isEmpty)
        }
    let columns = ActivityRecord(
        id: ActivityRecord.makeID(at: date), occurredAt: date,
        userID: optional(0, bit: 0x01), activityType: texts[1], description: texts[2], method: texts[3], path: texts[4],
        status: status, ipAddress: optional(5, bit: 0x02), userAgent: optional(6, bit: 0x04), metadataJSON: "",
        requestID: texts[9], durationMs: Double(size) / 3, peerAddress: optional(10, bit: 0x08), forwardedChain: texts[11],
        ipVerified: flags & 1 == 0, ruleID: texts[12])
    let values = ActivityRowValues(columns: columns, metadata: flags & 0x40 != 0 ? [] : [(texts[7], member), ("request_bytes", .integer(size))])
    var buffer = ByteBuffer()
    if BinaryCopyFormat.writeTuple(ifClean: values, into: &buffer) {
        precondition(buffer == values.carefulTuple, "the straight tuple differs from the careful one")
    } else {
        precondition(buffer.readableBytes == 0, "a declined straight write left bytes")
    }
    return 0
}

@main
enum RowValuesFuzz { static func main() { runFuzzer(fuzzOneInput) } }
