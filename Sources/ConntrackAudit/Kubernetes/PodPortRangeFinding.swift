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

    public init(pod: PodIdentity, range: PortRange, outside: PortRangeSet) {
        self.pod = pod
        self.range = range
        self.outside = outside
    }

    /// Share of the pod's ephemeral ports that the firewall blocks, 0...1.
    public var blockedShare: Double {
        Double(outside.count) / Double(range.count)
    }
}
