public import Conntrack
public import NodeState
public import Policy

/// The fixes for one NAT rule, in the syntax of the tool that owns it: what
/// `NodeRemedies` puts together into the node's fix for audit, check and
/// watch alike.
extension Remedy {
    /// Pins `rule` to `range` for the port-carrying traffic that reaches it:
    /// TCP, UDP, SCTP and DCCP (every protocol iptables' --to-ports takes;
    /// one left out would still reach the rule and keep a pod's low port),
    /// and UDP-Lite too with nft. A rule without a protocol cannot carry a
    /// port range, so per-protocol copies go right before it and it stays
    /// for ICMP and the rest.
    ///
    /// `shift`: lines earlier fixes insert above this rule in its iptables
    /// chain. `-I`/`-R` take rule numbers, so a later fix in the same chain
    /// must count them (the summary says it assumes they were applied).
    /// `per`: a range per protocol when the firewall admits them differently
    /// (a protocol missing from it is pinned to `range`).
    public static func pin(
        _ rule: NATRule, effective: ProtocolMatch, to range: PortRange, shift: Int = 0,
        per: [IPProtocol: PortRange] = [:]
    ) -> Remedy {
        func portsFor(_ proto: IPProtocol) -> String {
            let own = per[proto] ?? range
            return "\(own.low)-\(own.high)"
        }
        let protocols = (rule.tool == .nft ? Self.nftPinnable : Self.iptablesPinnable).filter(effective.contains)
        let distinct = Set(protocols.map(portsFor))
        let ports =
            distinct.count > 1
            ? protocols.map { "\($0.name) \(portsFor($0))" }.joined(separator: ", ")
            : protocols.first.map(portsFor) ?? "\(range.low)-\(range.high)"
        let position = rule.position + (rule.tool == .nft ? 0 : shift)
        var commands: [String] = []
        var summary: String
        switch rule.tool {
        case .iptables, .ip6tables:
            let match = rule.matchText.isEmpty ? "" : " " + rule.matchText
            let base = "\(rule.tool.rawValue) -t nat"
            if case .only(let own) = rule.protocols, own.count == 1, let proto = own.first, proto.carriesPorts {
                commands.append(
                    "\(base) -R \(rule.chain) \(position) -p \(proto.name)\(match) \(iptablesTarget(rule, ports: portsFor(proto)))")
                summary = "replace \(rule.location) with the same rule pinned to \(ports)"
            } else {
                for (offset, proto) in protocols.enumerated() {
                    commands.append(
                        "\(base) -I \(rule.chain) \(position + offset) -p \(proto.name)\(match) \(iptablesTarget(rule, ports: portsFor(proto)))"
                    )
                }
                summary =
                    "insert \(protocols.map { "-p \($0.name)" }.joined(separator: "/")) copies of \(rule.location) pinned to \(ports) before it (a rule without -p cannot carry --to-ports; the original stays for other protocols)"
            }
        case .nft:
            let family = rule.family.nftName
            let match = rule.matchText.isEmpty ? "" : rule.matchText + " "
            let ruleAddress = "\(family) \(rule.table) \(rule.chain) handle \(rule.position)"
            if rule.protocols.canCarryPortRange, case .only(let own) = rule.protocols, Set(own.map(portsFor)).count == 1 {
                commands.append(
                    "nft replace rule \(ruleAddress) \(match)\(l4proto(Array(own))) \(nftStatement(rule, ports: portsFor(own.min()!)))")
                summary = "replace \(rule.location) with the same rule pinned to \(ports)"
            } else {
                // One inserted copy per distinct range.
                for group in distinct.sorted() {
                    let members = protocols.filter { portsFor($0) == group }
                    commands.append("nft insert rule \(ruleAddress) \(match)\(l4proto(members)) \(nftStatement(rule, ports: group))")
                }
                summary =
                    "insert a copy of \(rule.location) for \(protocols.map(\.name).joined(separator: " and ")) pinned to \(ports) before it (nft needs an l4proto match before a port range; the original stays for other protocols)"
            }
        }
        if shift > 0 && rule.tool != .nft {
            summary += " (rule #\(rule.position) is #\(position) once the fixes above in \(rule.chain) are in: apply them in order)"
        }
        if let controller = rule.controller, controller != "calico" {
            summary += "; \(controller) owns chain \(rule.chain) and may rewrite it: re-apply after it restarts, or widen the firewall"
        }
        return Remedy(kind: .pinNATRange, summary: summary, commands: commands)
    }

    /// What `--to-ports` takes in iptables, and nft's `masquerade to :PORTS` besides.
    static let iptablesPinnable: [IPProtocol] = [.tcp, .udp, .sctp, .dccp]
    static let nftPinnable: [IPProtocol] = [.tcp, .udp, .sctp, .dccp, .udplite]

    public static func calico(range: PortRange) -> Remedy {
        let value = "\(range.low):\(range.high)"
        return Remedy(
            kind: .calicoNATPortRange,
            summary:
                "Calico writes cali-nat-outgoing itself: set natPortRange \(value) in FelixConfiguration (Felix then adds -p tcp/-p udp rules with --to-ports)",
            commands: [
                "calicoctl patch felixconfiguration default --patch '{\"spec\":{\"natPortRange\":\"\(value)\"}}'",
                "kubectl patch felixconfiguration default --type merge -p '{\"spec\":{\"natPortRange\":\"\(value)\"}}'",
            ]
        )
    }

    /// Felix keeps its jump at the top of POSTROUTING (it moves its rules
    /// back in front of inserted ones) and rewrites its chains, so on Calico
    /// nodes FelixConfiguration is the place to pin the range.
    static func calicoOnAuditedNode(range: PortRange, role: Role) -> Remedy {
        var remedy = calico(range: range)
        remedy.summary =
            "on Calico nodes, Felix moves its own rules back in front of inserted ones: set natPortRange \(range.low):\(range.high) in FelixConfiguration instead"
        remedy.role = role
        return remedy
    }

    /// Pods whose own range lies outside the allowed ranges keep those ports
    /// through NAT. Stays below 61000 like the kernel default so the top of
    /// the range is left to NAT remaps.
    public static func podPortRange(_ source: PortSource, allowed: PortRangeSet) -> Remedy? {
        podPortRange([source], keptFlows: 0, allowed: allowed)
    }

    /// One fix for every pod that keeps its own port outside `allowed`:
    /// `sources` name them and their ranges; `keptFlows` counts kept-port
    /// violations of pods not named (an audit that could not find them).
    static func podPortRange(_ sources: [PortSource], keptFlows: Int, allowed: PortRangeSet) -> Remedy? {
        guard let widest = allowed.widest, !sources.isEmpty || keptFlows > 0 else { return nil }
        let high = widest.high > 60999 && widest.low < 60999 ? 60999 : widest.high
        let value = "\(widest.low) \(high)"
        var byRange: [PortRange: [String]] = [:]
        for source in sources { byRange[source.range, default: []] += source.users }
        let who = byRange.keys.sorted().map { range in
            let users = byRange[range]!
            return users.prefix(3).joined(separator: ", ") + (users.count > 3 ? ", … (\(users.count))" : "")
                + ": source ports \(range.low)-\(range.high)"
        }
        let whom = who.isEmpty ? "\(keptFlows) flow(s) kept the pod's own port" : who.joined(separator: "; ")
        return Remedy(
            kind: .podPortRange,
            summary:
                "or, for pods that keep their own ports outside \(allowed) through NAT (\(whom)): set their net.ipv4.ip_local_port_range to \(value)",
            commands: [
                "sysctl -w net.ipv4.ip_local_port_range=\"\(value)\"   # inside the pod's network namespace",
                "pod spec: securityContext.sysctls: [{name: net.ipv4.ip_local_port_range, value: \"\(value)\"}]",
            ]
        )
    }

    /// Allowing replies to every port NAT can pick fixes all rules at once.
    public static func widenFirewall(allowed: PortRangeSet, outside: PortRangeSet) -> Remedy? {
        guard !outside.isEmpty else { return nil }
        return widenFirewall(allowed: allowed, to: allowed.union(outside), because: "the ports NAT can pick here")
    }

    private static func iptablesTarget(_ rule: NATRule, ports: String) -> String {
        var target: String
        switch rule.action {
        case .masquerade:
            target = "-j MASQUERADE --to-ports \(ports)"
        case .snat(let address):
            let host = address.contains(":") ? "[\(address)]" : address
            target = "-j SNAT --to-source \(host):\(ports)"
        }
        if rule.ports.random { target += " --random" }
        if rule.ports.randomFully { target += " --random-fully" }
        if rule.ports.persistent, case .snat = rule.action { target += " --persistent" }
        return target
    }

    private static func nftStatement(_ rule: NATRule, ports: String) -> String {
        var statement: String
        switch rule.action {
        case .masquerade:
            statement = "masquerade to :\(ports)"
        case .snat(let address):
            let ipv6 = address.contains(":")
            statement = "snat \(ipv6 ? "ip6" : "ip") to \(ipv6 ? "[\(address)]" : address):\(ports)"
        }
        let flags = [
            rule.ports.random ? "random" : nil, rule.ports.randomFully ? "fully-random" : nil,
            rule.ports.persistent ? "persistent" : nil,
        ].compactMap { $0 }
        if !flags.isEmpty { statement += " " + flags.joined(separator: ",") }
        return statement
    }

    private static func l4proto(_ protocols: [IPProtocol]) -> String {
        let names = protocols.map(\.name).sorted()
        return names.count == 1 ? "meta l4proto \(names[0])" : "meta l4proto { \(names.joined(separator: ", ")) }"
    }
}
