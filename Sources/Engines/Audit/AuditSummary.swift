import NodeState
public import Policy

/// Counts over one audit. All counts are of conntrack entries.
public struct AuditSummary: Hashable, Sendable {
    /// Entries in the table (from the kernel's count when it filtered the
    /// dump, else the entries read).
    public var flows = 0
    /// Entries read from the kernel.
    public var flowsRead = 0
    /// Source-NATed pod flows (in scope of the policy).
    public var snat = 0
    /// Of those, flows whose source port NAT changed.
    public var remapped = 0
    /// Source-NATed pod flows whose translated port is outside the allowed ranges.
    public var violations = 0
    /// Violations that never saw a reply: connections that are failing.
    public var violationsUnreplied = 0
    /// Violations that kept the pod's own (low) port: a pod port-range problem, not NAT.
    public var violationsKeptPort = 0
    /// Source-NATed pod flows whose replies a firewall rule ctaudit cannot
    /// judge decides (`--firewall`): neither violations nor allowed.
    public var uncertain = 0
    /// Of those, flows that never saw a reply.
    public var uncertainUnreplied = 0
    /// Source-NATed flows outside the policy's scope (not from a pod network, or excluded destination).
    public var outOfScope = 0
    /// Of those, the flows from outside the pod networks whose replies cross
    /// the upstream firewall: counted, summarized by source network, and
    /// judged as if they were pod flows (never hidden behind "clean").
    public var outsidePodNetworks = OutsidePodFlows()
    /// Source-NATed pod flows whose peer is on this node (a pod, a service
    /// network, the node's own address, loopback): never violations.
    public var nodeLocal = 0
    /// Source-NATed pod flows without ports (ICMP, GRE, ...): counted, never violations.
    public var withoutPorts = 0
    /// Counts of each BPF dataplane read. The totals above include their
    /// flows, except `flows`/`flowsRead`, which count conntrack entries only;
    /// `counts(for: .conntrack)` is the rest.
    public var dataplanes: [Dataplane: DataplaneCounts] = [:]

    public init() {}
}
