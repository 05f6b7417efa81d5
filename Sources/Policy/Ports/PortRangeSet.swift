/// A set of allowed ports as sorted, non-overlapping ranges, e.g. the
/// upstream firewall's `1024-2047,32768-65535`.
public struct PortRangeSet: Hashable, Sendable, CustomStringConvertible {
    /// Sorted, merged (no overlaps, no adjacent ranges).
    public let ranges: [PortRange]

    /// The Linux default ephemeral range's upper half that firewalls like
    /// Hetzner's Robot firewall allow replies to.
    public static let defaultAllowed = PortRangeSet([PortRange(low: 32768, high: 65535)!])

    public init(_ ranges: [PortRange]) {
        var merged: [PortRange] = []
        for range in ranges.sorted() {
            if let last = merged.last, Int(range.low) <= Int(last.high) + 1 {
                merged[merged.count - 1] = PortRange(low: last.low, high: max(last.high, range.high))!
            } else {
                merged.append(range)
            }
        }
        self.ranges = merged
    }

    /// Parses comma-separated ranges: `32768-65535`, `1024-2047,32768-65535`.
    public init(parsing text: String) throws(PolicyError) {
        let pieces = text.split(separator: ",", omittingEmptySubsequences: false)
        guard !text.trimmingSpaces.isEmpty else {
            throw .invalidPortRange(text, reason: "empty; expected LOW-HIGH[,LOW-HIGH...] (or LOW:HIGH)")
        }
        var ranges: [PortRange] = []
        for piece in pieces {
            if piece.trimmingSpaces.isEmpty {
                throw .invalidPortRange(text, reason: "empty range between commas")
            }
            ranges.append(try PortRange(parsing: piece))
        }
        self.init(ranges)
    }

    public func contains(_ port: UInt16) -> Bool {
        // Few ranges in practice; a linear scan beats a binary search here.
        for range in ranges where range.contains(port) { return true }
        return false
    }

    /// The ports not in the set.
    public var complement: PortRangeSet {
        var gaps: [PortRange] = []
        var next = 0
        for range in ranges {
            if Int(range.low) > next { gaps.append(PortRange(low: UInt16(next), high: range.low - 1)!) }
            next = Int(range.high) + 1
        }
        if next <= 65535 { gaps.append(PortRange(low: UInt16(next), high: 65535)!) }
        return PortRangeSet(gaps)
    }

    /// The widest single range, which a NAT `--to-ports` can be pinned to.
    public var widest: PortRange? { ranges.max { $0.count < $1.count } }

    public var count: Int { ranges.reduce(0) { $0 + $1.count } }

    public var description: String { ranges.map(\.description).joined(separator: ",") }
}
