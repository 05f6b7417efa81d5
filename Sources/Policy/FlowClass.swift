/// Where one conntrack entry stands against the audit policy.
public enum FlowClass: Hashable, Sendable {
    /// Source NAT did not change the flow (`IPS_SRC_NAT` unset).
    case notSourceNATed
    /// Source-NATed, but not from a pod network or to an excluded destination.
    case outOfScope
    /// Source-NATed pod flow whose real peer (the reply tuple's source, after
    /// any DNAT) is on this node: a pod, a known service network, a local
    /// address of the audited namespace, or loopback. Hairpin traffic and
    /// pod-to-pod flows remapped by the kernel's clash handling end here: the
    /// upstream firewall never sees them, so they are never violations.
    case nodeLocal(remapped: Bool)
    /// Source-NATed pod flow of a protocol without ports (ICMP, GRE, ...).
    case withoutPorts
    /// Translated source port inside the allowed ranges.
    case allowed(remapped: Bool)
    /// Translated source port outside the allowed ranges: replies will be dropped.
    case violation(remapped: Bool)
    /// A firewall rule ctaudit cannot judge decides the replies' fate
    /// (`--firewall`): accepted one way, dropped the other. Neither a
    /// violation nor clean; counted and reported on its own.
    case uncertain(remapped: Bool)
}
