public import Conntrack
public import Policy
public import NodeState

/// A pod whose own `net.ipv4.ip_local_port_range` reaches outside the ports
/// the upstream firewall allows: masquerade keeps a pod's port when it can,
/// so its connections from those ports fail without any NAT clash.
public struct PodPortRangeFinding: Hashable, Sendable {
    public var pod: PodIdentity
    public var range: PortRange
    /// The part of the range the firewall does not allow.
    public var outside: PortRangeSet
    /// Violations in this audit that kept this pod's own port.
    public var keptPortViolations = 0
    /// Protocols of the pod's egress traffic that reach a NAT rule able to
    /// keep one of its blocked ports; nil when the rules were not read.
    /// Empty: every rule it reaches pins or randomizes the port, so the
    /// pod's own range has no effect on the firewall.
    public var keepingProtocols: [IPProtocol]?

    public init(pod: PodIdentity, range: PortRange, outside: PortRangeSet) {
        self.pod = pod
        self.range = range
        self.outside = outside
    }

    /// Whether the range matters for TCP or UDP (or, rules unread, may).
    public var isBlocking: Bool {
        guard let keepingProtocols else { return true }
        return keepingProtocols.contains(.tcp) || keepingProtocols.contains(.udp)
    }

    /// Every port of the range is blocked and a rule keeps it: each
    /// connection the pod makes through that rule fails.
    public var failsEveryConnection: Bool { isBlocking && outside.count == range.count }

    /// Share of the pod's ephemeral ports that the firewall blocks, 0...1.
    public var blockedShare: Double {
        Double(outside.count) / Double(range.count)
    }
}
