public import Conntrack
import NodeState
public import Policy

/// How reports name "the allowed ports" now that a firewall answers per
/// protocol, family and node address: one range for `--allow` (as before),
/// the firewall's answer for each protocol otherwise. Never an empty string
/// where a range belongs.
extension AuditReport {
    /// `32768-65535`; with `--firewall` whose protocols differ,
    /// `the ports the firewall admits (tcp/ipv4 1024-65535; udp/ipv4 none)`.
    public var allowedWords: String {
        guard policy.firewall != nil else { return policy.allowed.isEmpty ? "any port (none is allowed)" : policy.allowed.description }
        let table = policy.admissions
        if table.isUniform, let first = table.summarized.first { return first.words }
        return "the ports the firewall admits (" + table.summarized.map(\.summary).joined(separator: "; ") + ")"
    }

    /// The ports replies of `proto` in `family` get through to for every
    /// peer, for the node's address: what a pin or a pod range must stay in.
    public func allowedPorts(_ proto: IPProtocol, _ family: IPAddress.Family) -> PortRangeSet {
        policy.firewall == nil ? policy.allowed : policy.admissions[proto, family].admittedForEveryPeer
    }

    /// A port range good for TCP and UDP in every family the audit saw: the
    /// widest range admitted for both, by the groups of peers each admits
    /// anything for (a protocol the firewall opens only to some peers is
    /// judged by those). nil when there is none (a protocol closed, or
    /// nothing in common).
    public var commonAllowedRange: PortRange? {
        policy.firewall == nil ? policy.allowed.widest : FirewallRemedy.commonRange(policy.admissions)
    }
}
