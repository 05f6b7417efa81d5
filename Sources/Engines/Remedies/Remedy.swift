import Conntrack
import Policy

/// One way to make the violations go away, with the exact syntax to apply it.
/// `NodeRemedies` chooses them; every command and report prints its list.
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

    /// Where a fix stands for the node it was built for. Exactly one fix per
    /// cause (the node's NAT, each BPF dataplane with violations) is
    /// `.appliesHere` when any fits; reports mark it "applies here".
    public enum Role: String, Hashable, Sendable {
        /// The fix for this node as it is: the change to make.
        case appliesHere = "applies-here"
        /// Also works here, instead of (or besides) the marked one: the
        /// pods' own port range, widening the upstream firewall.
        case alternative
        /// The node's NAT rules could not be read: a form that fits any node
        /// of its kind (the generic chain, the nft statement, Calico).
        case generic
        /// For another setup (Calico on a node without Calico): only in JSON,
        /// with `applies: false`, never in text.
        case otherSetup = "other-setup"
    }

    public var kind: Kind
    public var summary: String
    /// Lines to apply as printed (shell lines unless they say otherwise);
    /// anything that needs a human choice (a table name, a handle) stays in
    /// `summary` so that nothing half-right gets pasted.
    public var commands: [String]
    public var role: Role

    public init(kind: Kind, summary: String, commands: [String], role: Role = .alternative) {
        self.kind = kind
        self.summary = summary
        self.commands = commands
        self.role = role
    }

    /// JSON's `applies`: true for the marked fix, false for another setup,
    /// null for an alternative or a generic form.
    public var appliesHere: Bool? {
        switch role {
        case .appliesHere: true
        case .otherSetup: false
        case .alternative, .generic: nil
        }
    }

    /// Whether a text or HTML report prints it.
    public var isShown: Bool { role != .otherSetup }

    /// The one phrasing every command uses. The firewall rule matches inbound
    /// replies by their *destination* port (the node's translated port), so
    /// say that, not "from A to B", which reads like source ports.
    static func widenFirewall(
        allowed: PortRangeSet, to widened: PortRangeSet, because reason: String,
        allowedWords: String? = nil
    ) -> Remedy {
        let now = allowedWords ?? (allowed.isEmpty ? "no port" : allowed.description)
        return Remedy(
            kind: .widenFirewall,
            summary:
                "or widen the upstream firewall rule that lets replies in: allow destination ports \(widened), not only \(now) (\(reason))",
            commands: []
        )
    }

    /// The chain the generic iptables fix creates.
    static let pinChain = "CTAUDIT-PIN"

    /// The fix when the node's NAT rules cannot be read: iptables rules that
    /// pin the port range, reached from the top of POSTROUTING. Appending
    /// (-A) is useless: the node's own MASQUERADE rule comes first, matches,
    /// and an appended one is never reached.
    ///
    /// One chain per family, jumped to for each pod network: traffic to any
    /// pod network (and multicast, which CNIs leave alone) returns untouched,
    /// TCP/UDP/SCTP/DCCP is masqueraded into the range, everything else falls
    /// back to the node's own rules. A rule per network with `! -d` its own
    /// network would NAT traffic between two pod networks, which CNIs never NAT.
    /// `ranges`: a range per protocol when the firewall admits them
    /// differently (a protocol without one cannot be pinned and is left out).
    static func pinWithIptables(
        _ facts: GenericPinFacts, range: PortRange, cause: String, hints: ReaderHintWording,
        ranges: [IPProtocol: PortRange]? = nil
    ) -> Remedy {
        let ports = "\(range.low)-\(range.high)"
        // Per protocol when the firewall admits them differently; a protocol without a range cannot be pinned.
        func portsFor(_ proto: IPProtocol) -> String {
            guard let own = ranges?[proto] else { return ports }
            return "\(own.low)-\(own.high)"
        }
        // iptables refuses --to-ports with UDP-Lite; nft can pin it.
        let protocols = facts.pinnedProtocols.filter { $0 != .udplite && (ranges == nil || ranges?[$0] != nil) }
        var commands: [String] = []
        var placeholders: [String] = []
        for family in [IPAddress.Family.ipv4, .ipv6] {
            let tool = family == .ipv4 ? "iptables" : "ip6tables"
            // Without a pod network for a family that has violations, ctaudit
            // audited every source-NATed flow: there is nothing to put after
            // -s, and a rule without it would NAT the node's own traffic too.
            // The placeholder makes iptables fail ("host/network not found")
            // instead of doing that if pasted unedited.
            var sources = facts.podNetworks.filter { $0.address.family == family }.map(\.description)
            if sources.isEmpty && facts.violatingFamilies.contains(family) {
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
        let pinned =
            ranges == nil || Set(protocols.map(portsFor)).count == 1
            ? (protocols.first.map(portsFor) ?? ports)
            : protocols.map { "\($0.name) \(portsFor($0))" }.joined(separator: ", ")
        var summary =
            "\(cause)with iptables, pin the NAT port range to \(pinned): a chain \(pinChain) that masquerades \(protocols.map(\.name).joined(separator: "/")) from the pod networks into \(ranges == nil ? ports : "those ports"), jumped to before the node's MASQUERADE rule (-I: an appended rule comes after it and is never reached); pod-to-pod and other protocols are left to the node's rules"
        summary +=
            facts.pinnedProtocols.contains(.udplite)
            ? "; UDP-Lite cannot be pinned with iptables (--to-ports takes tcp, udp, sctp, dccp): use the nft statement"
            : "; UDP-Lite cannot be pinned with iptables and still reaches the node's rule (no UDP-Lite flow was seen)"
        summary +=
            "; `ctaudit check` prints the exact change once it can read the node's rules (live, or from an iptables-save or nft -j export)"
        if !placeholders.isEmpty {
            summary += "; replace \(placeholders.joined(separator: " and ")) with your pod network (no \(hints(.podNetworks)) was given)"
        }
        return Remedy(kind: .pinNATRange, summary: summary, commands: commands, role: .generic)
    }

    /// nft rules live in tables and chains each node names differently, so
    /// without the node's ruleset there is no line that is safe to paste
    /// blind: say what the masquerade statement must read (one statement
    /// per distinct range when the firewall admits protocols differently).
    static func pinWithNft(_ facts: GenericPinFacts, range: PortRange, ranges: [IPProtocol: PortRange]? = nil) -> Remedy {
        var byRange: [(PortRange, [String])] = []
        for proto in facts.pinnedProtocols {
            guard let own = ranges == nil ? range : ranges?[proto] else { continue }
            if let index = byRange.firstIndex(where: { $0.0 == own }) {
                byRange[index].1.append(proto.name)
            } else {
                byRange.append((own, [proto.name]))
            }
        }
        let statements = byRange.map { own, names in
            "meta l4proto \(names.count == 1 ? names[0] : "{ \(names.joined(separator: ", ")) }") masquerade to :\(own.low)-\(own.high)"
        }.joined(separator: "; and ")
        return Remedy(
            kind: .pinNATRange,
            summary:
                "or, with nftables, make the nft masquerade rule read: \(statements) (nft needs the l4proto match before a port range; `nft -a list ruleset` shows the rule's table, chain and handle)",
            commands: [], role: .generic
        )
    }
}

/// What the generic pin (the node's NAT rules unread) is built from.
struct GenericPinFacts {
    var podNetworks: [IPNetwork]
    /// Families with violations: without a pod network of their own they get a placeholder.
    var violatingFamilies: Set<IPAddress.Family>
    /// TCP, UDP, SCTP and DCCP always (a pod's next connection may use any
    /// of them, and a protocol left out still reaches the node's own rule,
    /// which keeps low pod ports), plus UDP-Lite when it has violations.
    var pinnedProtocols: [IPProtocol]

    init(podNetworks: [IPNetwork], violatingFamilies: Set<IPAddress.Family>, seenProtocols: Set<IPProtocol>) {
        self.podNetworks = podNetworks
        self.violatingFamilies = violatingFamilies
        self.pinnedProtocols = seenProtocols.filter(\.carriesPorts).union([.tcp, .udp, .sctp, .dccp]).sorted()
    }
}
