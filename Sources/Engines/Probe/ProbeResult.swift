public import Policy

/// What `ctaudit probe` measured: which local ports replies came back to.
public struct ProbeResult: Hashable, Sendable {
    public var target: String
    public var proto: String
    public var netns: String?
    public var range: PortRange
    /// Ports replies came back to, as bands bounded by probes.
    public var allowed: PortRangeSet
    /// Ports replies did not come back to.
    public var blocked: PortRangeSet
    /// Ports between two probes that disagree, left open when --max-probes ran out.
    public var unknown: PortRangeSet
    /// Probes sent (ports in use are skipped and not counted).
    public var probes: Int
    public var maxProbes: Int
    public var evidence: [ProbeEvidence]
    /// Ports skipped because they were in use on the node.
    public var skipped: [UInt16]

    public init(
        target: String, proto: String, netns: String?, range: PortRange, allowed: PortRangeSet, blocked: PortRangeSet,
        unknown: PortRangeSet, probes: Int, maxProbes: Int, evidence: [ProbeEvidence], skipped: [UInt16]
    ) {
        self.target = target
        self.proto = proto
        self.netns = netns
        self.range = range
        self.allowed = allowed
        self.blocked = blocked
        self.unknown = unknown
        self.probes = probes
        self.maxProbes = maxProbes
        self.evidence = evidence
        self.skipped = skipped
    }

    /// No probe got anything back: the target (or the path to it) is down,
    /// which says nothing about the firewall.
    public var unreachable: Bool { !evidence.contains { $0.cameBack == true } }
}
