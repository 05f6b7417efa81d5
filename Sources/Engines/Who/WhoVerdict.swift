public import Conntrack
public import Policy

/// Where one flow stands, in audit's words.
public enum WhoVerdict: String, Hashable, Sendable {
    /// A pod flow whose translated port the firewall does not admit.
    case violation
    /// A pod flow whose translated port is admitted.
    case allowed
    /// A --firewall rule ctaudit cannot judge decides its replies.
    case uncertain
    /// Its peer is on the node: never crosses the upstream firewall.
    case nodeLocal = "node-local"
    /// Not from a pod network, but judged as if it were: would violate.
    case outsideWouldViolate = "outside-would-violate"
    /// Not from a pod network; judged as if it were: admitted (or undecidable).
    case outside
    /// Source NAT did not change it (only with --untranslated).
    case notSourceNATed = "not-source-nated"

    public init(_ flow: Flow, policy: AuditPolicy) {
        switch policy.classify(flow) {
        case .violation: self = .violation
        case .allowed, .withoutPorts: self = .allowed
        case .uncertain: self = .uncertain
        case .nodeLocal: self = .nodeLocal
        case .notSourceNATed: self = .notSourceNATed
        case .outOfScope:
            if case .violation = policy.auditingEverySource.classify(flow) { self = .outsideWouldViolate } else { self = .outside }
        }
    }
}
