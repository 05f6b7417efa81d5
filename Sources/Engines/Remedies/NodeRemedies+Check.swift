import Conntrack
import NodeState
import Policy

extension NodeRemedies {
    /// The fixes for what one check read: the rules pod traffic reaches that
    /// can give a port outside the allowed ranges, the pods' own ranges
    /// those rules keep, and the BPF dataplanes' settings.
    public init(check report: CheckReport) {
        let needing = report.findings.filter { $0.inScope && $0.verdict != .safe }
        self.init(allowed: report.allowed, natRules: .read(report.findings), natNeedsFix: !needing.isEmpty)
        hints = report.hints
        podNetworks = report.podNetworks
        var sources: [PortSource] = []
        var outside = PortRangeSet([])
        for finding in needing {
            for prediction in finding.predictions {
                outside = outside.union(prediction.possiblePortsOutside)
                // Pods that keep low ports: only their sysctl (or a pinned range) helps.
                if !finding.rule.ports.remapsEveryFlow && finding.rule.ports.range == nil
                    && !PortRangeSet(prediction.source.range).isSubset(of: report.allowed)
                    && !sources.contains(prediction.source)
                {
                    sources.append(prediction.source)
                }
            }
        }
        podSources = sources
        for dataplane in report.dataplanes where dataplane.verdict != .safe {
            outside = outside.union(dataplane.outside)
            guard let fix = dataplane.fix else { continue }
            dataplaneRemedies.append(
                Remedy(
                    kind: dataplane.dataplane == .cilium ? .ciliumNodePortRange : .calicoPSNATPorts,
                    summary: "\(dataplane.dataplane) BPF dataplane: " + fix, commands: dataplane.fixCommands))
        }
        portsOutside = outside
        if let firewall = report.firewall, let admissions = report.admissions {
            pinning(to: admissions, nodes: report.nodeAddresses, firewall: firewall)
        }
        if let firewall = report.firewall, !outside.ranges.isEmpty {
            let families = Set(
                needing.flatMap { finding -> [IPAddress.Family] in
                    switch finding.rule.family {
                    case .ipv4: [.ipv4]
                    case .ipv6: [.ipv6]
                    case .inet, .other: [.ipv4, .ipv6]
                    }
                })
            let drops = FirewallRemedy.predictedDrops(
                outside: outside, firewall: firewall,
                families: [IPAddress.Family.ipv4, .ipv6].filter { families.isEmpty || families.contains($0) })
            let low = outside.ranges.first?.low ?? 1024
            upstream = FirewallRemedy.widen(drops, firewall: firewall, used: PortRange(low: min(low, 1024), high: 65535)!)
        }
    }
}
