/// Translated source ports of the audited flows, counted in fixed-width bins
/// over 0-65535, split into allowed and violating flows. A bin can hold both
/// when the allowed range does not start on a bin boundary.
///
/// Fixed memory (two arrays of `binCount` counters) whatever the table size,
/// so the accumulator can keep it for every flow, not only for violations.
public struct PortHistogram: Hashable, Sendable {
    /// Ports per bin: 64 gives 1024 bins, one pixel each in a 1024-wide chart.
    public static let binWidth = 64
    public static let binCount = 65536 / binWidth

    public private(set) var allowed: [Int]
    public private(set) var violating: [Int]

    public init() {
        allowed = Array(repeating: 0, count: Self.binCount)
        violating = Array(repeating: 0, count: Self.binCount)
    }

    public mutating func add(port: UInt16, violation: Bool) {
        let bin = Int(port) / Self.binWidth
        if violation { violating[bin] += 1 } else { allowed[bin] += 1 }
    }

    /// The ports bin `index` covers.
    public static func ports(ofBin index: Int) -> ClosedRange<Int> {
        (index * binWidth)...(index * binWidth + binWidth - 1)
    }

    public var total: Int { allowed.reduce(0, +) + violating.reduce(0, +) }

    /// The tallest bin (allowed plus violating), for scaling a chart.
    public var tallest: Int {
        zip(allowed, violating).map { $0 + $1 }.max() ?? 0
    }

    /// The same ports re-binned into `bins` wider bins (for a coarser chart).
    public func rebinned(into bins: Int) -> (allowed: [Int], violating: [Int]) {
        precondition(bins > 0 && Self.binCount % bins == 0, "bins must divide \(Self.binCount)")
        let factor = Self.binCount / bins
        var wideAllowed = Array(repeating: 0, count: bins)
        var wideViolating = Array(repeating: 0, count: bins)
        for index in 0..<Self.binCount {
            wideAllowed[index / factor] += allowed[index]
            wideViolating[index / factor] += violating[index]
        }
        return (wideAllowed, wideViolating)
    }
}
