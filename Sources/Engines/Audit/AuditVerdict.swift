/// What one audit concluded, in the one word that text, JSON (`verdict`),
/// HTML and Prometheus (`ctaudit_audit_verdict`) share.
public enum AuditVerdict: String, Hashable, Sendable, CaseIterable {
    /// Source-NATed pod flows whose translated port the firewall drops.
    case violations
    /// No violation in the table right now, but a pod's own port range is
    /// blocked entirely and a NAT rule its traffic reaches keeps pods' ports:
    /// its next connection through that rule fails.
    case podsBlocked = "pods-blocked"
    /// No violation and no pod blocked, but a firewall rule ctaudit cannot
    /// judge (`--firewall`) decides some flows' replies: accepted one way,
    /// dropped the other. Not clean: exit status 4 (docs/FIREWALL.md).
    case uncertain
    /// Source NAT happens here and every audited flow uses an allowed port.
    case clean
    /// No source-NAT rule and no source-NATed flow in the audited namespace:
    /// there was nothing to judge (NAT happens somewhere else).
    case nothingToAudit = "nothing-to-audit"

    /// Exit status 1 for these.
    public var isFailure: Bool { self == .violations || self == .podsBlocked }

    /// Exit status 4: neither a failure nor clean.
    public var isUncertain: Bool { self == .uncertain }

    static func of(_ report: AuditReport) -> AuditVerdict {
        if report.summary.violations > 0 { return .violations }
        if report.kubernetes.portRangeFindings.contains(where: \.failsEveryConnection) { return .podsBlocked }
        if report.summary.uncertain > 0 { return .uncertain }
        if report.sawNoSourceNAT { return .nothingToAudit }
        return .clean
    }
}

extension AuditReport {
    /// No entry was source-NATed at all (in scope or not), and no source-NAT
    /// rule was found (or the rules could not be read).
    public var sawNoSourceNAT: Bool {
        let summary = summary
        let natedFlows = summary.snat + summary.nodeLocal + summary.outOfScope + summary.withoutPorts
        return natedFlows == 0 && (natRulesSeen ?? 0) == 0
    }
}

extension AuditReport {
    /// One sentence every format prints with the nothing-to-audit verdict:
    /// what was missing, and where the NAT probably happens instead. How to
    /// audit the node's own namespace is the caller's to word (`hints`).
    public var nothingToAuditExplanation: String {
        let place = netns.map { "netns \($0)" } ?? "this network namespace"
        var text = "no source-NAT rule and no source-NATed flow in \(place), so no pod flow could be judged"
        if let natRulesError { text += " (its NAT rules could not be read: \(natRulesError))" }
        if netns != nil {
            text += "; pod traffic is usually source-NATed in the node's own (host) namespace: \(hints(.hostNamespace))"
        } else {
            text += "; if pod traffic is NATed elsewhere (the node's host namespace when this is a pod's, a gateway, or an eBPF dataplane such as Cilium that conntrack does not see), audit it there"
        }
        return text
    }
}
