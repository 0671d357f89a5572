/// A fast random number generator owned by one connection (xoshiro256**), seeded once from the
/// system generator.
///
/// Request ids and row ids need uniqueness, not secrecy. `SystemRandomNumberGenerator` makes a
/// `getrandom` system call per number on Linux, three per tracked request; this makes one per
/// connection. Not `Sendable` on purpose: it lives in one connection's handler, on its event loop.
package struct ConnectionRandom: RandomNumberGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    package init() {
        var system = SystemRandomNumberGenerator()
        state = (system.next(), system.next(), system.next(), system.next())
        if state == (0, 0, 0, 0) { state.0 = 0x9E37_79B9_7F4A_7C15 }  // the one state xoshiro cannot leave
    }

    package mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }
}
