import Conntrack
import Policy
import NodeState

/// Fixes for violations judged by `--firewall`: name the firewall rule to
/// widen (or the rule to add, in the vendor's terms), then the NAT change
/// that keeps translated ports inside what the firewall admits.
enum FirewallRemedy {
    static func advise(for report: AuditReport, firewall: FirewallPolicy) -> [Remedy] {
        guard report.summary.violations > 0 else { return [] }
        var remedies: [Remedy] = []
        let lowest = report.violations.allFacts.lazy.map(\.translatedPort).min() ?? 1024
        // Masquerade picks from 1024-65535 unless a pod port below 1024 is kept.
        let used = PortRange(low: min(lowest, 1024), high: 65535)!
        var seen = Set<String>()
        for drop in report.firewallDrops {
            let key = "\(drop.origin ?? "")\u{0}\(drop.decidedBy)\u{0}\(drop.proto.rawValue)"
            guard seen.insert(key).inserted else { continue }
            remedies.append(widen(drop, firewall: firewall, used: used))
        }
        // The NAT side: pin each protocol to ports its replies get through to
        // in every family (for the peers the firewall admits them from).
        var ranges: [IPProtocol: PortRange] = [:]
        let table = report.policy.admissions
        for proto in ReplyAdmissionTable.protocols {
            var common = PortRangeSet(PortRange(low: 0, high: 65535)!)
            for family in [IPAddress.Family.ipv4, .ipv6] {
                common = common.intersection(table[proto, family].judgedSets.reduce(PortRangeSet(PortRange(low: 0, high: 65535)!)) { $0.intersection($1.admitted) })
            }
            if let widest = common.widest { ranges[proto] = widest }
        }
        let closed = [IPProtocol.tcp, .udp].filter { ranges[$0] == nil }
        if closed.isEmpty, let tcp = ranges[.tcp], let udp = ranges[.udp] {
            let summaries = table.summarized.map(\.summary).joined(separator: "; ")
            let cause = "or keep NAT inside what the firewall admits for each protocol (\(summaries))"
            let same = tcp == udp
            remedies.append(Remedy.pinWithIptables(report, range: tcp, cause: cause, ranges: same ? nil : ranges))
            remedies.append(Remedy.pinWithNft(report, range: tcp, ranges: same ? nil : ranges))
            // Felix takes one natPortRange for every protocol.
            let both = PortRangeSet(tcp).intersection(PortRangeSet(udp)).widest
            if let both { remedies.append(Remedy.calicoOnAuditedNode(range: both)) }
        } else {
            remedies.append(Remedy(
                kind: .pinNATRange,
                summary: "no NAT port range can fix this alone: the firewall admits \(closed.map(\.name).joined(separator: " and ")) replies on no port (\(firewall.admittedSummary(nodes: report.policy.nodeAddresses).joined(separator: "; "))); change the firewall rule above",
                commands: []))
        }
        return remedies
    }

    /// The firewall change for one group of drops, in the vendor's terms.
    static func widen(_ drop: FirewallDrop, firewall: FirewallPolicy, used: PortRange) -> Remedy {
        let format = firewall.sources.first { $0.path == drop.origin }?.format
        let ports = "\(used.low)-\(used.high)"
        let proto = drop.proto.name
        let stage = firewall.stages.first { $0.origin == drop.origin && $0.applies(to: drop.family) }
        let rules = stage.map { $0.chains.values.flatMap(\.rules) } ?? []
        let decidingRule = rules.first { drop.decidedBy.hasPrefix($0.description) }
        let file = drop.origin ?? "the firewall"
        // A drop rule decided: it must stop covering the translated ports.
        if let decidingRule, decidingRule.action == .drop {
            return Remedy(
                kind: .widenFirewall,
                summary: "in \(file), \(decidingRule.label) drops \(drop.flowSummary): change it so it no longer matches \(proto) replies to destination ports \(ports) (the ports masquerade uses), or put an accept rule for them before it",
                commands: command(format: format, proto: proto, family: drop.family, ports: used))
        }
        // Nothing admitted the reply: widen the rule that admits this protocol's replies, or add one.
        // The rule that admits this protocol's replies: the accept rule with the widest port range.
        let candidate = rules.filter { rule in
            rule.action == .accept && rule.localPorts != nil && (rule.protocols?.contains(drop.proto) ?? true) != rule.protocolsNegated
                && (rule.family == nil || rule.family == drop.family)
        }.max { ($0.localPorts?.count ?? 0) < ($1.localPorts?.count ?? 0) }
        let what = "\(drop.decidedBy) for \(drop.flowSummary)"
        if let candidate {
            return Remedy(
                kind: .widenFirewall,
                summary: "in \(file), \(what): widen \(candidate.label) (\(candidate.summary)) to destination ports \(ports)",
                commands: format == .hetznerRobot
                    ? ["Robot: in \(candidate.label), set dst_port to \"\(ports)\"   # Firewall tab, or POST /firewall/{server-number} with the whole rule list"]
                    : command(format: format, proto: proto, family: drop.family, ports: used))
        }
        return Remedy(
            kind: .widenFirewall,
            summary: "in \(file), \(what): no rule admits \(proto) replies; add one that accepts \(proto) to destination ports \(ports) before the rules that drop",
            commands: command(format: format, proto: proto, family: drop.family, ports: used))
    }

    /// The rule to write, where a line can be given without guessing names.
    static func command(format: FirewallFormat?, proto: String, family: IPAddress.Family, ports: PortRange) -> [String] {
        switch format {
        case .hetznerRobot?:
            let flags = proto == "tcp" ? "\"ack\"" : "null"
            return ["Robot input rule: {\"name\": \"\(proto) replies\", \"ip_version\": \"\(family)\", \"protocol\": \"\(proto)\", \"dst_port\": \"\(ports.low)-\(ports.high)\", \"tcp_flags\": \(flags), \"action\": \"accept\"}   # Robot: Firewall tab, or POST /firewall/{server-number}"]
        case .awsNetworkACL?:
            let number = proto == "tcp" ? "6" : proto == "udp" ? "17" : proto
            return ["aws ec2 create-network-acl-entry --network-acl-id ACL_ID --ingress --rule-number RULE_NUMBER --protocol \(number) --port-range From=\(ports.low),To=\(ports.high) --\(family == .ipv4 ? "cidr-block 0.0.0.0/0" : "ipv6-cidr-block ::/0") --rule-action allow   # a rule number below the one that denies"]
        case .iptables?:
            let tool = family == .ipv4 ? "iptables" : "ip6tables"
            return ["\(tool) -I FORWARD 1 -p \(proto) --dport \(ports.low):\(ports.high) -j ACCEPT   # on the gateway; narrow with -d NODE_ADDRESS"]
        default:
            return []
        }
    }
}
