import Conntrack
import Policy

/// One way to make the violations go away, with the exact syntax to apply it.
public struct Remedy: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        /// Allow replies to the ports NAT actually uses, upstream.
        case widenFirewall = "widen-firewall"
        /// Pin masquerade/SNAT to a port range the firewall allows.
        case pinNATRange = "pin-nat-range"
        /// Calico writes its own rules: set FelixConfiguration natPortRange.
        case calicoNATPortRange = "calico-nat-port-range"
        /// Pods keep their own low ports: move their ephemeral range.
        case podPortRange = "pod-port-range"
        /// Cilium BPF masquerading: move the NodePort range (docs/DATAPLANES.md).
        case ciliumNodePortRange = "cilium-node-port-range"
        /// Calico eBPF host source-port NAT: move BPFPSNATPorts.
        case calicoPSNATPorts = "calico-psnat-ports"
    }

    public var kind: Kind
    public var summary: String
    /// Lines to apply as printed (shell lines unless they say otherwise);
    /// anything that needs a human choice (a table name, a handle) stays in
    /// `summary` so that nothing half-right gets pasted.
    public var commands: [String]
    /// Whether this fix fits the audited node's own NAT rules (iptables,
    /// nftables, Calico); nil when the rules were not read.
    public var appliesHere: Bool?

    public init(kind: Kind, summary: String, commands: [String], appliesHere: Bool? = nil) {
        self.kind = kind
        self.summary = summary
        self.commands = commands
        self.appliesHere = appliesHere
    }

    /// The remedies that fit what the report found; empty when it is clean.
    public static func advise(for report: AuditReport) -> [Remedy] {
        // A pod blocked entirely needs the same fixes before it has a violation.
        let blockedPods = report.kubernetes.portRangeFindings.filter(\.failsEveryConnection)
        guard report.summary.violations > 0 || !blockedPods.isEmpty else { return [] }
        if let firewall = report.policy.firewall, report.summary.violations > 0 {
            return FirewallRemedy.advise(for: report, firewall: firewall)
        }
        var remedies: [Remedy] = []
        // With --firewall the range good for TCP and UDP alike (none when a protocol is closed).
        let allowed = report.policy.firewall == nil ? report.policy.allowed : report.commonAllowedRange.map { PortRangeSet($0) } ?? .empty
        let allowedWords = report.allowedWords
        // Counted, not filtered: a filtered copy of 30 000 violations is ~6 MB.
        // BPF dataplanes' violations have their own remedies (below).
        let conntrack = report.violations.allFacts.lazy.filter { $0.dataplane == .conntrack }
        let remappedCount = conntrack.reduce(0) { $0 + ($1.isRemapped ? 1 : 0) }
        let keptCount = conntrack.reduce(0) { $0 + ($1.isRemapped ? 0 : 1) }
        let lowest = min(report.violations.allFacts.lazy.map(\.translatedPort).min() ?? 1024,
                         blockedPods.map(\.range.low).min() ?? 1024)

        if let pin = allowed.widest, remappedCount + keptCount > 0 || !blockedPods.isEmpty {
            // A pinned range fixes kept ports too: the kernel keeps a port
            // only when it is already inside the range (nf_nat_l4proto_unique_tuple).
            var what: [String] = []
            if remappedCount > 0 { what.append("remapped \(remappedCount) flow(s)") }
            if keptCount > 0 { what.append("kept \(keptCount) pod port(s)") }
            let cause = what.isEmpty
                ? "\(blockedPods.count) pod(s) use only ports outside \(allowedWords) and masquerade keeps them"
                : "masquerade \(what.joined(separator: " and ")) outside \(allowedWords)"
            var iptables = pinWithIptables(report, range: pin, cause: cause)
            var nft = pinWithNft(report, range: pin)
            var calico = calicoOnAuditedNode(range: pin)
            if let tools = report.natRuleTools {
                calico.appliesHere = tools.contains("Calico")
                iptables.appliesHere = tools.contains("iptables") && !tools.contains("Calico")
                nft.appliesHere = tools.contains("nftables")
            }
            remedies += [iptables, nft, calico]
        }
        if let range = allowed.widest, keptCount > 0 || !blockedPods.isEmpty {
            // Stay below 61000 like the Linux default so pods and the host's
            // own ephemeral users do not crowd the top of the range.
            let high = range.high > 60999 && range.low < 60999 ? 60999 : range.high
            remedies.append(Remedy(
                kind: .podPortRange,
                summary: keptCount > 0
                    ? "or, for the \(keptCount) flow(s) that kept the pod's own port outside \(allowedWords): the pods' net.ipv4.ip_local_port_range is too low"
                    : "or move the \(blockedPods.count) blocked pod(s)' net.ipv4.ip_local_port_range into \(allowed)",
                commands: [
                    "sysctl -w net.ipv4.ip_local_port_range=\"\(range.low) \(high)\"   # inside the pod's network namespace",
                    "pod spec: securityContext.sysctls: [{name: net.ipv4.ip_local_port_range, value: \"\(range.low) \(high)\"}]",
                ]
            ))
        }
        remedies += dataplaneRemedies(report)
        // Masquerade picks from 1024-65535 unless a pod port below 1024 is kept.
        let used = PortRange(low: min(lowest, 1024), high: 65535)!
        remedies.append(widenFirewall(allowed: allowed, to: allowed.union(PortRangeSet(used)),
                                      because: "the ports masquerade and these pods use", allowedWords: allowedWords))
        return remedies
    }

    /// The one phrasing both commands use. The firewall rule matches inbound
    /// replies by their *destination* port (the node's translated port), so
    /// say that, not "from A to B", which reads like source ports.
    static func widenFirewall(allowed: PortRangeSet, to widened: PortRangeSet, because reason: String,
                              allowedWords: String? = nil) -> Remedy {
        let now = allowedWords ?? (allowed.isEmpty ? "no port" : allowed.description)
        return Remedy(
            kind: .widenFirewall,
            summary: "or widen the upstream firewall rule that lets replies in: allow destination ports \(widened), not only \(now) (\(reason))",
            commands: []
        )
    }

    /// The chain the printed iptables fix creates.
    static let pinChain = "CTAUDIT-PIN"

    /// iptables rules that pin the port range, reached from the top of
    /// POSTROUTING. Appending (-A) is useless: the node's own MASQUERADE rule
    /// comes first, matches, and an appended one is never reached.
    ///
    /// One chain per family, jumped to for each pod network: traffic to any
    /// pod network (and multicast, which CNIs leave alone) returns untouched,
    /// TCP/UDP (and SCTP/DCCP when they violate) is masqueraded into the
    /// range, everything else falls back to the node's own rules. A rule per
    /// network with `! -d` its own network would NAT traffic between two pod
    /// networks, which CNIs never NAT.
    static func pinWithIptables(_ report: AuditReport, range: PortRange, cause: String,
                                ranges: [IPProtocol: PortRange]? = nil) -> Remedy {
        let ports = "\(range.low)-\(range.high)"
        // Per protocol when the firewall admits them differently; a protocol without a range cannot be pinned.
        func portsFor(_ proto: IPProtocol) -> String {
            guard let own = ranges?[proto] else { return ports }
            return "\(own.low)-\(own.high)"
        }
        // iptables refuses --to-ports with UDP-Lite; nft can pin it.
        let protocols = pinnedProtocols(report).filter { $0 != .udplite && (ranges == nil || ranges?[$0] != nil) }
        var commands: [String] = []
        var placeholders: [String] = []
        for family in [IPAddress.Family.ipv4, .ipv6] {
            let tool = family == .ipv4 ? "iptables" : "ip6tables"
            let configured = report.policy.podNetworks.filter { $0.address.family == family }
            // Without a pod network for a family that has violations, ctaudit
            // audited every source-NATed flow: there is nothing to put after
            // -s, and a rule without it would NAT the node's own traffic too.
            // The placeholder makes iptables fail ("host/network not found")
            // instead of doing that if pasted unedited.
            var sources = configured.map(\.description)
            if sources.isEmpty && report.violations.allFacts.contains(where: { $0.family == family }) {
                let placeholder = family == .ipv4 ? "POD_CIDR" : "POD_CIDR6"
                sources = [placeholder]
                placeholders.append(placeholder)
            }
            guard !sources.isEmpty else { continue }
            let base = "\(tool) -t nat"
            commands.append("\(base) -N \(pinChain)")
            for destination in sources + [family == .ipv4 ? "224.0.0.0/4" : "ff00::/8"] {
                commands.append("\(base) -A \(pinChain) -d \(destination) -j RETURN")
            }
            for proto in protocols {
                commands.append("\(base) -A \(pinChain) -p \(proto.name) -j MASQUERADE --to-ports \(portsFor(proto))")
            }
            for (offset, source) in sources.enumerated() {
                commands.append("\(base) -I POSTROUTING \(offset + 1) -s \(source) -j \(pinChain)")
            }
        }
        let pinned = ranges == nil || Set(protocols.map(portsFor)).count == 1
            ? (protocols.first.map(portsFor) ?? ports)
            : protocols.map { "\($0.name) \(portsFor($0))" }.joined(separator: ", ")
        var summary = "\(cause): pin the NAT port range to \(pinned): a chain \(pinChain) that masquerades \(protocols.map(\.name).joined(separator: "/")) from the pod networks into \(ranges == nil ? ports : "those ports"), jumped to before the node's MASQUERADE rule (-I: an appended rule comes after it and is never reached); pod-to-pod and other protocols are left to the node's rules"
        summary += pinnedProtocols(report).contains(.udplite)
            ? "; UDP-Lite cannot be pinned with iptables (--to-ports takes tcp, udp, sctp, dccp): use the nft statement"
            : "; UDP-Lite cannot be pinned with iptables and still reaches the node's rule (no UDP-Lite flow was seen)"
        if !placeholders.isEmpty {
            summary += "; replace \(placeholders.joined(separator: " and ")) with your pod network (no \(report.hints(.podNetworks)) was given)"
        }
        summary += "; `ctaudit check` prints the change for this node's exact rules"
        return Remedy(kind: .pinNATRange, summary: summary, commands: commands)
    }

    /// nft rules live in tables and chains each node names differently, so
    /// there is no line that is safe to paste blind: say what the masquerade
    /// statement must read, and where the exact command comes from.
    static func pinWithNft(_ report: AuditReport, range: PortRange, ranges: [IPProtocol: PortRange]? = nil) -> Remedy {
        // One statement per distinct range (per protocol when the firewall admits them differently).
        var byRange: [(PortRange, [String])] = []
        for proto in pinnedProtocols(report) {
            guard let own = ranges == nil ? range : ranges?[proto] else { continue }
            if let index = byRange.firstIndex(where: { $0.0 == own }) { byRange[index].1.append(proto.name) } else { byRange.append((own, [proto.name])) }
        }
        let statements = byRange.map { own, names in
            "meta l4proto \(names.count == 1 ? names[0] : "{ \(names.joined(separator: ", ")) }") masquerade to :\(own.low)-\(own.high)"
        }.joined(separator: "; and ")
        return Remedy(
            kind: .pinNATRange,
            summary: "with nftables, in your nft masquerade rule, use: \(statements) (nft needs the l4proto match before a port range; `nft -a list ruleset` shows the rule's table, chain and handle; `ctaudit check` prints the exact nft rule to add)",
            commands: []
        )
    }

    /// Felix keeps its jump at the top of POSTROUTING (it moves its rules
    /// back in front of inserted ones) and rewrites its chains, so on Calico
    /// nodes FelixConfiguration is the place to pin the range.
    static func calicoOnAuditedNode(range: PortRange) -> Remedy {
        var remedy = calico(range: range)
        remedy.summary = "on Calico nodes, Felix moves its own rules back in front of inserted ones: set natPortRange \(range.low):\(range.high) in FelixConfiguration instead"
        return remedy
    }

    /// TCP, UDP, SCTP and DCCP always (a pod's next connection may use any
    /// of them, and a protocol left out still reaches the node's own rule,
    /// which keeps low pod ports), plus UDP-Lite when it has violations.
    static func pinnedProtocols(_ report: AuditReport) -> [IPProtocol] {
        let seen = Set(report.violations.allFacts.lazy.map(\.proto).filter(\.carriesPorts))
        return seen.union([.tcp, .udp, .sctp, .dccp]).sorted()
    }
}
