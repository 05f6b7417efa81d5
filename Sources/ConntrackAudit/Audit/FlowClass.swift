/// Where one conntrack entry stands against the audit policy.
public enum FlowClass: Hashable, Sendable {
    /// Source NAT did not change the flow (`IPS_SRC_NAT` unset).
    case notSourceNATed
    /// Source-NATed, but not from a pod network or to an excluded destination.
    case outOfScope
    /// Source-NATed pod flow of a protocol without ports (ICMP, GRE, ...).
    case withoutPorts
    /// Translated source port inside the allowed ranges.
    case allowed(remapped: Bool)
    /// Translated source port outside the allowed ranges: replies will be dropped.
    case violation(remapped: Bool)
}
