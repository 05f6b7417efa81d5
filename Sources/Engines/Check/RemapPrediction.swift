public import NodeState
public import Policy

/// What one NAT rule does to flows whose original source ports come from
/// one port range, measured against the ports the upstream firewall allows.
///
/// Model (nf_nat_l4proto_unique_tuple): a flow keeps its port when the rule
/// lets it (no random flag; inside `--to-ports` if given) and the tuple is
/// free; otherwise the kernel picks a port at random from the remap range
/// (`--to-ports`, else 1024-65535, 600-1023 or 1-511 by the original port),
/// weighted as the kernel's modulo draw weights it (RemapDistribution).
/// Original ports are taken as uniform over the source's range, as the
/// kernel's ephemeral port choice is.
public struct RemapPrediction: Hashable, Sendable {
    public var source: PortSource
    /// Every port a flow can leave with.
    public var possiblePorts: PortRangeSet
    /// Of these, the ones outside the allowed ranges.
    public var possiblePortsOutside: PortRangeSet
    /// Share of flows that meet no clash and still leave outside the allowed ranges.
    public var shareOutsideWithoutClash: Double
    /// Share of remapped flows (a clash, or always with random flags) that leave outside.
    public var shareOfRemappedOutside: Double
    /// Share of flows the rule remaps even without a clash.
    public var shareRemappedWithoutClash: Double

    public var everyFlowRemapped: Bool { shareRemappedWithoutClash >= 1 }
    /// The ports the prediction was judged against.
    public var allowed: PortRangeSet
    /// Where the firewall answers per protocol: the `proto/family` pairs this
    /// prediction is for (`tcp/ipv4`); empty when it holds for all.
    public var appliesTo: [String] = []
    /// When the firewall admits these replies only from some peers: which (`source port 53`).
    public var peers: String?
    /// Possible ports where a firewall rule ctaudit cannot judge decides.
    public var uncertainPorts: PortRangeSet = .empty

    /// Broken: flows fail without any clash. At risk: clashing flows can fail.
    /// Uncertain: none is known to fail, but a rule ctaudit cannot judge
    /// decides some possible ports. Safe: none can.
    public var verdict: RuleVerdict {
        if shareOutsideWithoutClash > 0 { return .broken }
        if !possiblePortsOutside.isEmpty { return .atRisk }
        if !uncertainPorts.isEmpty { return .uncertain }
        return .safe
    }

    /// `offsetSpace`: 65536 for Linux >= 6.2, 2^32 before (see RemapDistribution).
    public init(ports: PortBehaviour, source: PortSource, allowed: PortRangeSet, offsetSpace: UInt64 = 1 << 16) {
        self.source = source
        self.allowed = allowed
        let originals = PortRangeSet(source.range)
        let total = Double(source.range.count)

        // The original ports fall into at most three remap classes; within a
        // class every port is remapped to the same range.
        let classes: [PortRange] =
            ports.range != nil
            ? [PortRange(low: 0, high: 65535)!]
            : [PortRange(low: 0, high: 511)!, PortRange(low: 512, high: 1023)!, PortRange(low: 1024, high: 65535)!]
        let kept =
            ports.remapsEveryFlow
            ? PortRangeSet.empty
            : ports.range.map { originals.intersection(PortRangeSet($0)) } ?? originals

        var possible = kept
        var outsideWithoutClash = Double(kept.subtracting(allowed).count)
        var outsideWhenRemapped = 0.0
        var remappedWithoutClash = 0.0
        for group in classes {
            let members = originals.intersection(PortRangeSet(group))
            guard !members.isEmpty else { continue }
            let target = ports.remapRange(forOriginalPort: group.low == 0 && ports.range == nil ? 1 : group.low)
            let targetSet = PortRangeSet(target)
            possible = possible.union(targetSet)
            let outsideShare = RemapDistribution(range: target, offsetSpace: offsetSpace).share(of: targetSet.subtracting(allowed))
            let alwaysRemapped = Double(members.subtracting(kept).count)
            outsideWithoutClash += alwaysRemapped * outsideShare
            remappedWithoutClash += alwaysRemapped
            outsideWhenRemapped += Double(members.count) * outsideShare
        }
        possiblePorts = possible
        possiblePortsOutside = possible.subtracting(allowed)
        shareOutsideWithoutClash = outsideWithoutClash / total
        shareOfRemappedOutside = outsideWhenRemapped / total
        shareRemappedWithoutClash = remappedWithoutClash / total
    }
}
