import CZlib

/// CRC-32 (IEEE 802.3, the polynomial of zlib and gzip), which checks each spool record: zlib's
/// `crc32_z`. Measured reason (`tracking-bench`, db-down): the byte-at-a-time table this replaced
/// was 6% of the process's samples, ~0.5 µs per spooled record.
/// Public for the spool segment fuzz target, which builds records with a matching checksum.
public enum CRC32 {
    /// The checksum of `bytes`; `checksum("123456789") == 0xCBF43926`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
        return UInt32(truncatingIfNeeded: crc32_z(0, base.assumingMemoryBound(to: UInt8.self), bytes.count))
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
