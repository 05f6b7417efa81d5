import Glibc
public import Policy

/// How the kernel spreads remapped ports over a range: it draws a random
/// offset and takes `low + offset % size` (nf_nat_l4proto_unique_tuple).
/// Since Linux 6.2 the offset is 16 bits (get_random_u16), so when the
/// range's size does not divide 65536 its first `65536 % size` ports are
/// drawn once more often: for 1024-65535, ports 1024-2047 twice as often,
/// and exactly 50% (not 49.2%) of remaps land below 32768. Before 6.2 the
/// offset was 32 bits and the spread is uniform to within 1e-5.
public struct RemapDistribution: Hashable, Sendable {
    public var range: PortRange
    /// Number of distinct random offsets: 65536 (Linux >= 6.2) or 2^32.
    public var offsetSpace: UInt64

    public init(range: PortRange, offsetSpace: UInt64) {
        self.range = range
        self.offsetSpace = offsetSpace
    }

    /// Probability that a remapped port lands in `ports`.
    public func share(of ports: PortRangeSet) -> Double {
        let size = UInt64(range.count)
        let base = offsetSpace / size
        let extra = offsetSpace % size
        // Ports low ..< low+extra are hit base+1 times, the rest base times.
        var hits: UInt64 = 0
        if extra > 0, let heavy = PortRange(low: range.low, high: UInt16(UInt64(range.low) + extra - 1)) {
            hits += UInt64(ports.intersection(PortRangeSet(heavy)).count) * (base + 1)
        }
        if UInt64(range.low) + extra <= UInt64(range.high),
            let light = PortRange(low: UInt16(UInt64(range.low) + extra), high: range.high)
        {
            hits += UInt64(ports.intersection(PortRangeSet(light)).count) * base
        }
        return Double(hits) / Double(offsetSpace)
    }

    /// Offsets are 16 bits from Linux 6.2 on (commit 7e3cf0843fe5), 32 bits before.
    public static func offsetSpace(kernelRelease release: String) -> UInt64 {
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else { return 1 << 16 }
        return (numbers[0], numbers[1]) >= (6, 2) ? 1 << 16 : 1 << 32
    }

    /// The running kernel's release (`uname -r`).
    public static func runningKernelRelease() -> String {
        var names = utsname()
        uname(&names)
        return withUnsafeBytes(of: &names.release) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
