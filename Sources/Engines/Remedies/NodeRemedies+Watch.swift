import Conntrack
import NodeState
public import Policy

extension NodeRemedies {
    /// The fixes for what one watch saw, built like audit's: the node's NAT
    /// rules (read when the watch ends, as audit reads them) pinned, the
    /// pods' own range for kept ports, the upstream firewall widened.
    public init(watch summary: WatchSummary, counters: WatchCounters, policy: AuditPolicy, natRules: NATRules) {
        // With --firewall: the range good for TCP and UDP alike (none when a protocol is closed).
        let allowed =
            policy.firewall == nil
            ? policy.allowed
            : FirewallRemedy.commonRange(policy.admissions).map { PortRangeSet($0) } ?? .empty
        let remapped = summary.violations - summary.violationsKeptPort
        self.init(allowed: allowed, natRules: natRules, natNeedsFix: summary.violations > 0)
        var what: [String] = []
        if remapped > 0 { what.append("remapped \(remapped) flow(s)") }
        if summary.violationsKeptPort > 0 { what.append("kept \(summary.violationsKeptPort) pod port(s)") }
        cause = "masquerade \(what.joined(separator: " and ")) outside \(allowed): "
        keptPortFlows = summary.violationsKeptPort
        podNetworks = policy.podNetworks
        let violating = counters.byKey.filter { $0.value.violating > 0 }.keys
        violatingFamilies = Set(violating.map(\.family))
        seenProtocols = Set(violating.map(\.proto))
        let lowest = min(summary.lowestViolationPort ?? 1024, 1024)
        var outside = PortRangeSet(PortRange(low: lowest, high: 65535)!)
        if case .read(let findings) = natRules {
            for finding in findings where finding.inScope && finding.verdict != .safe {
                for prediction in finding.predictions { outside = outside.union(prediction.possiblePortsOutside) }
            }
        }
        portsOutside = summary.violations > 0 ? outside.subtracting(allowed) : PortRangeSet([])
        if let firewall = policy.firewall {
            pinning(to: policy.admissions, nodes: policy.nodeAddresses, firewall: firewall)
        }
        if let firewall = policy.firewall, summary.violations > 0 {
            let drops = FirewallRemedy.predictedDrops(
                outside: portsOutside, firewall: firewall,
                families: [IPAddress.Family.ipv4, .ipv6].filter(violatingFamilies.contains))
            upstream = FirewallRemedy.widen(drops, firewall: firewall, used: PortRange(low: lowest, high: 65535)!)
        }
    }
}
