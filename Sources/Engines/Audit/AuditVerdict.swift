/// What one audit concluded, in the one word that text, JSON (`verdict`),
/// HTML and Prometheus (`ctaudit_audit_verdict`) share.
public enum AuditVerdict: String, Hashable, Sendable, CaseIterable {
    /// Source-NATed pod flows whose translated port the firewall drops.
    case violations
    /// No violation in the table right now, but a pod's own port range is
    /// blocked entirely and a NAT rule its traffic reaches keeps pods' ports:
    /// its next connection through that rule fails.
    case podsBlocked = "pods-blocked"
    /// No pod flow violates, but source-NATed flows from outside the pod
    /// networks would (`OutsidePodFlows`): their replies are dropped all the
    /// same, and a wrong or missing pod network puts real pods there.
    case outsideViolations = "outside-violations"
    /// No violation and no pod blocked, but a firewall rule ctaudit cannot
    /// judge (`--firewall`) decides some flows' replies: accepted one way,
    /// dropped the other. Not clean: exit status 4 (docs/FIREWALL.md).
    case uncertain
    /// Every audited pod flow uses an allowed port, and none of the
    /// source-NATed flows from outside the pod networks would violate either;
    /// not plain `clean`, because those flows were not audited as pod flows.
    case cleanInScope = "clean-in-scope"
    /// Source NAT happens here and every audited flow uses an allowed port.
    case clean
    /// No pod flow could be judged: no source-NAT rule and no source-NATed
    /// flow in the audited namespace (NAT happens somewhere else), or every
    /// source-NATed flow came from outside the pod networks (none violating).
    case nothingToAudit = "nothing-to-audit"

    /// Exit status 1 for these.
    public var isFailure: Bool { self == .violations || self == .podsBlocked || self == .outsideViolations }

    /// Exit status 4: neither a failure nor clean.
    public var isUncertain: Bool { self == .uncertain }

    static func of(_ report: AuditReport) -> AuditVerdict {
        let outside = report.summary.outsidePodNetworks
        if report.summary.violations > 0 { return .violations }
        if !report.blockedPods.isEmpty { return .podsBlocked }
        if outside.wouldViolate > 0 { return .outsideViolations }
        // A flow the firewall may or may not admit is never called clean, nor "nothing to audit".
        if report.summary.uncertain > 0 { return .uncertain }
        if report.sawNoSourceNAT || (outside.flows > 0 && !report.auditedAnyPodFlow) { return .nothingToAudit }
        if outside.flows > 0 { return .cleanInScope }
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

    /// Some source-NATed pod flow was classified (with or without ports,
    /// node-local or not): the pod networks matched something.
    public var auditedAnyPodFlow: Bool { summary.snat + summary.nodeLocal > 0 }
}

extension AuditReport {
    /// One sentence every format prints with the nothing-to-audit verdict:
    /// what was missing, and where the NAT probably happens instead. How to
    /// audit the node's own namespace is the caller's to word (`hints`).
    public var nothingToAuditExplanation: String {
        let place = netns.map { "netns \($0)" } ?? "this network namespace"
        let outside = summary.outsidePodNetworks
        if outside.flows > 0 {
            return "no pod flow was audited: the \(outside.flows) source-NATed flow(s) here come from outside the pod networks"
                + " (\(outsideSourcesSummary(limit: 3))), and none would violate; if they are pods, \(outsidePodNetworksAdvice)"
        }
        var text = "no source-NAT rule and no source-NATed flow in \(place), so no pod flow could be judged"
        if let natRulesError { text += " (its NAT rules could not be read: \(natRulesError))" }
        if netns != nil {
            text += "; pod traffic is usually source-NATed in the node's own (host) namespace: \(hints(.hostNamespace))"
        } else {
            text +=
                "; if pod traffic is NATed elsewhere (the node's host namespace when this is a pod's, a gateway, or an eBPF dataplane such as Cilium that conntrack does not see), audit it there"
        }
        return text
    }
}
