import Conntrack
import NodeState
import Policy

/// The upstream side of `NodeRemedies` with `--firewall`: the firewall rule
/// to widen (or the rule to add), in the vendor's terms. The NAT side (pin
/// to what the firewall admits for every TCP/UDP reply) is the engine's, as
/// for `--allow`.
enum FirewallRemedy {
    /// One change per deciding rule and protocol.
    static func widen(_ drops: [FirewallDrop], firewall: FirewallPolicy, used: PortRange) -> [Remedy] {
        var seen = Set<String>()
        var remedies: [Remedy] = []
        for drop in drops {
            let key = "\(drop.origin ?? "")\u{0}\(drop.decidedBy)\u{0}\(drop.proto.rawValue)"
            guard seen.insert(key).inserted else { continue }
            remedies.append(widen(drop, firewall: firewall, used: used))
        }
        return remedies
    }

    /// The widest range admitted for TCP and UDP in every family, by the
    /// groups of peers each admits anything for; nil when there is none.
    static func commonRange(_ table: ReplyAdmissionTable) -> PortRange? {
        let everything = PortRangeSet(PortRange(low: 0, high: 65535)!)
        var common = everything
        for admission in table.summarized {
            common = common.intersection(admission.judgedSets.reduce(everything) { $0.intersection($1.admitted) })
        }
        return common.widest
    }

    /// The NAT side with `--firewall`: the range to pin each protocol to,
    /// what its replies get through to in every family (for the peers the
    /// firewall admits them from); nil when TCP and UDP take the same range.
    /// `closed`: TCP/UDP admitted on no port, which no NAT range can fix.
    static func natRanges(_ table: ReplyAdmissionTable) -> (perProtocol: [IPProtocol: PortRange]?, closed: [IPProtocol]) {
        var ranges: [IPProtocol: PortRange] = [:]
        for proto in ReplyAdmissionTable.protocols {
            if let range = table.pinRange(proto, families: [.ipv4, .ipv6]) { ranges[proto] = range }
        }
        let closed = [IPProtocol.tcp, .udp].filter { ranges[$0] == nil }
        guard closed.isEmpty, ranges[.tcp] != ranges[.udp] else { return (nil, closed) }
        return (ranges, [])
    }

    /// The drops `check` predicts: for each protocol and family the node's
    /// rules translate, the ports NAT can pick that the firewall does not
    /// admit, and the rule that decides the lowest of them.
    static func predictedDrops(outside: PortRangeSet, firewall: FirewallPolicy, families: [IPAddress.Family]) -> [FirewallDrop] {
        var drops: [FirewallDrop] = []
        for family in families {
            for proto in [IPProtocol.tcp, .udp] {
                let dropped = outside.subtracting(firewall.admittedPorts(proto, family: family))
                guard let first = dropped.ranges.first, let last = dropped.ranges.last else { continue }
                let packet = ReplyPacket(family: family, proto: proto, remote: nil, remotePort: nil, local: nil, localPort: first.low)
                let decision = firewall.decide(ReplyPacket.variants(of: packet))
                var drop = FirewallDrop(decidedBy: decision.decidedBy, origin: decision.origin, proto: proto, family: family)
                drop.lowestPort = first.low
                drop.highestPort = last.high
                drops.append(drop)
            }
        }
        return drops
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
                summary:
                    "in \(file), \(decidingRule.label) drops \(drop.flowSummary): change it so it no longer matches \(proto) replies to destination ports \(ports) (the ports masquerade uses), or put an accept rule for them before it",
                commands: command(format: format, proto: proto, family: drop.family, ports: used, list: stage?.entry))
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
                    ? [
                        "Robot: in \(candidate.label), set dst_port to \"\(ports)\"   # Firewall tab, or POST /firewall/{server-number} with the whole rule list"
                    ]
                    : command(format: format, proto: proto, family: drop.family, ports: used, list: stage?.entry))
        }
        return Remedy(
            kind: .widenFirewall,
            summary:
                "in \(file), \(what): no rule admits \(proto) replies; add one that accepts \(proto) to destination ports \(ports) before the rules that drop",
            commands: command(format: format, proto: proto, family: drop.family, ports: used, list: stage?.entry))
    }

    /// The rule to write, where a line can be given without guessing names.
    /// `list`: the stage's entry chain (a Cisco access list's name).
    static func command(format: FirewallFormat?, proto: String, family: IPAddress.Family, ports: PortRange, list: String? = nil) -> [String]
    {
        switch format {
        case .hetznerRobot?:
            let flags = proto == "tcp" ? "\"ack\"" : "null"
            return [
                "Robot input rule: {\"name\": \"\(proto) replies\", \"ip_version\": \"\(family)\", \"protocol\": \"\(proto)\", \"dst_port\": \"\(ports.low)-\(ports.high)\", \"tcp_flags\": \(flags), \"action\": \"accept\"}   # Robot: Firewall tab, or POST /firewall/{server-number}"
            ]
        case .awsNetworkACL?:
            let number = proto == "tcp" ? "6" : proto == "udp" ? "17" : proto
            return [
                "aws ec2 create-network-acl-entry --network-acl-id ACL_ID --ingress --rule-number RULE_NUMBER --protocol \(number) --port-range From=\(ports.low),To=\(ports.high) --\(family == .ipv4 ? "cidr-block 0.0.0.0/0" : "ipv6-cidr-block ::/0") --rule-action allow   # a rule number below the one that denies"
            ]
        case .iptables?:
            let tool = family == .ipv4 ? "iptables" : "ip6tables"
            return [
                "\(tool) -I FORWARD 1 -p \(proto) --dport \(ports.low):\(ports.high) -j ACCEPT   # on the gateway; narrow with -d NODE_ADDRESS"
            ]
        case .ociSecurityList?, .ociNetworkSecurityGroup?, .ovhEdgeFirewall?, .scalewaySecurityGroup?, .ciscoACL?:
            return CloudFirewallRemedy.command(format: format!, proto: proto, family: family, ports: ports, list: list)
        default:
            return []
        }
    }
}
