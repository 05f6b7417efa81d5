import Conntrack
import NodeState
import Policy

extension NodeRemedies {
    /// The fixes for what one audit saw: its violations, the pods blocked
    /// by their own port range, and the node's NAT rules as it read them
    /// (`NodeNATRules.annotate`, the same reader and judge as `check`).
    public init(audit report: AuditReport) {
        // With --firewall: the range good for TCP and UDP alike (none when a protocol is closed).
        let allowed =
            report.policy.firewall == nil
            ? report.policy.allowed
            : report.commonAllowedRange.map { PortRangeSet($0) } ?? .empty
        let allowedWords = report.allowedWords
        let blocked = report.kubernetes.portRangeFindings.filter(\.failsEveryConnection)
        // Counted, not filtered: a filtered copy of 30 000 violations is ~6 MB.
        // BPF dataplanes' violations have their own remedies.
        let conntrack = report.violations.allFacts.lazy.filter { $0.dataplane == .conntrack }
        let remapped = conntrack.reduce(0) { $0 + ($1.isRemapped ? 1 : 0) }
        let kept = conntrack.reduce(0) { $0 + ($1.isRemapped ? 0 : 1) }
        let needsFix = remapped + kept > 0 || !blocked.isEmpty
        let rules: NATRules = report.natRuleFindings.map { .read($0) } ?? .unread(reason: report.natRulesError)
        self.init(allowed: allowed, natRules: rules, natNeedsFix: needsFix)
        hints = report.hints
        var what: [String] = []
        if remapped > 0 { what.append("remapped \(remapped) flow(s)") }
        if kept > 0 { what.append("kept \(kept) pod port(s)") }
        cause =
            what.isEmpty
            ? "\(blocked.count) pod(s) use only ports outside \(allowedWords) and masquerade keeps them: "
            : "masquerade \(what.joined(separator: " and ")) outside \(allowedWords): "
        let blocking = report.kubernetes.portRangeFindings.filter(\.isBlocking)
        // A pod blocked only where the firewall admits nothing for that peer
        // (UDP only from source port 53) is not helped by a port range
        // inside what is admitted: only the firewall change is.
        podSources = blocking.filter { !PortRangeSet($0.range).isSubset(of: allowed) }.map { finding in
            PortSource(range: finding.range, origin: .namespace, users: [Self.label(finding.pod)])
        }
        keptPortFlows = max(0, kept - blocking.reduce(0) { $0 + $1.keptPortViolations })
        podNetworks = report.policy.podNetworks
        violatingFamilies = Set(conntrack.map(\.family))
        seenProtocols = Set(report.violations.allFacts.lazy.map(\.proto))
        // What widening must admit: what masquerade picks from (1024-65535,
        // lower when a pod's own lower port was kept), the pods' ranges, and
        // what the node's rules can give.
        let lowest = min(
            report.violations.allFacts.lazy.map(\.translatedPort).min() ?? 1024,
            blocking.map(\.range.low).min() ?? 1024, 1024)
        var outside = PortRangeSet(PortRange(low: lowest, high: 65535)!)
        if case .read(let findings) = rules {
            for finding in findings where finding.inScope && finding.verdict != .safe {
                for prediction in finding.predictions { outside = outside.union(prediction.possiblePortsOutside) }
            }
        }
        portsOutside = needsFix || report.summary.violations > 0 ? outside.subtracting(allowed) : PortRangeSet([])
        dataplaneRemedies = Remedy.dataplaneRemedies(report)
        if let firewall = report.policy.firewall {
            pinning(to: report.policy.admissions, nodes: report.policy.nodeAddresses, firewall: firewall)
        }
        if let firewall = report.policy.firewall, report.summary.violations > 0 {
            upstream = FirewallRemedy.widen(report.firewallDrops, firewall: firewall, used: PortRange(low: lowest, high: 65535)!)
        }
    }

    /// How a pod is named in a fix: its Kubernetes name, else its namespace, else its address.
    static func label(_ pod: PodIdentity) -> String {
        if let name = pod.name { return pod.namespace.map { "\($0)/\(name)" } ?? name }
        if let netns = pod.netns { return "netns \(netns)" }
        return pod.ip.description
    }
}
