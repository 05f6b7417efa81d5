/// Set operations the port prediction needs.
extension PortRangeSet {
    public static let empty = PortRangeSet([])

    public init(_ range: PortRange) { self.init([range]) }

    public var isEmpty: Bool { ranges.isEmpty }

    public func intersection(_ other: PortRangeSet) -> PortRangeSet {
        var out: [PortRange] = []
        for a in ranges {
            for b in other.ranges {
                let low = max(a.low, b.low)
                let high = min(a.high, b.high)
                if let range = PortRange(low: low, high: high) { out.append(range) }
            }
        }
        return PortRangeSet(out)
    }

    public func subtracting(_ other: PortRangeSet) -> PortRangeSet { intersection(other.complement) }

    public func union(_ other: PortRangeSet) -> PortRangeSet { PortRangeSet(ranges + other.ranges) }

    public func isSubset(of other: PortRangeSet) -> Bool { subtracting(other).isEmpty }

    /// Lowest and highest port, as one range.
    public var span: PortRange? {
        guard let first = ranges.first, let last = ranges.last else { return nil }
        return PortRange(low: first.low, high: last.high)
    }
}
