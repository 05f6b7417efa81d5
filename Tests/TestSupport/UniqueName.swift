import Foundation

/// Short names for what a test creates outside itself (network namespaces,
/// FIFOs): unique within this process and, in practice, among test runs on
/// the machine at the same time. Built from the process id, its start time and
/// a counter, not from a random generator: a name is not a test input, and
/// a seeded generator would give two concurrent runs the same names.
package enum UniqueName {
    /// `length` base-36 characters (3 keeps interface names like
    /// "<tag><name>-gw" within the kernel's 15).
    package static func tag(length: Int = 3) -> String {
        let space = (0..<length).reduce(UInt64(1)) { value, _ in value * 36 }
        let text = String((base &+ counter.next()) % space, radix: 36)
        return String(repeating: "0", count: length - text.count) + text
    }

    private static let base: UInt64 = {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(getpid()) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(time.tv_nsec) ^ UInt64(time.tv_sec) &* 0xBF58_476D_1CE4_E5B9
    }()

    private static let counter = Counter()

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value: UInt64 = 0

        func next() -> UInt64 {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value
        }
    }
}
