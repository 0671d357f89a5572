import NIOCore

/// FNV-1a (64 bit) over a body, fed piece by piece as it streams: enough to tell a body that
/// arrived whole and in order from one truncated, duplicated or reordered. Not cryptographic.
struct BodyChecksum: Hashable, Sendable, CustomStringConvertible {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var hash = value
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        value = hash
    }

    mutating func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { update($0) }
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// 16 lowercase hex digits.
    var description: String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// A deterministic body of `size` bytes (byte `i` is `i % 251`), produced in blocks without ever
/// being held whole, so tests can move tens of megabytes and check them by checksum.
struct PatternBody: Sendable {
    var size: Int

    /// 251 × 261 bytes: a whole number of periods, so every block starts the pattern afresh.
    static let blockSize = 251 * 261
    static let block: ByteBuffer = {
        var buffer = ByteBufferAllocator().buffer(capacity: blockSize)
        for index in 0..<blockSize { buffer.writeInteger(UInt8(index % 251)) }
        return buffer
    }()

    /// The body as consecutive slices of at most `blockSize` bytes.
    var blocks: [ByteBuffer] {
        stride(from: 0, to: size, by: Self.blockSize).map { offset in
            Self.block.getSlice(at: 0, length: min(Self.blockSize, size - offset))!
        }
    }

    /// The checksum the body must arrive with.
    var checksum: BodyChecksum {
        var checksum = BodyChecksum()
        for block in blocks { checksum.update(block) }
        return checksum
    }
}
