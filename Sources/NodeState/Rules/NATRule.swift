import Conntrack
public import Policy

/// The tool a rule was written with; remedies are given in its syntax.
public enum NATTool: String, Hashable, Sendable, Codable {
    case iptables
    case ip6tables
    case nft
}

/// What a source-NAT rule does to the source address.
public enum NATAction: Hashable, Sendable {
    /// MASQUERADE / nft `masquerade`: the outgoing interface's address.
    case masquerade
    /// SNAT / nft `snat`: a fixed address (or address range), as written in the rule.
    case snat(address: String)

    public var name: String {
        switch self {
        case .masquerade: "masquerade"
        case .snat: "snat"
        }
    }
}

/// One SNAT/MASQUERADE rule that traffic leaving the node can reach, with
/// what it matches and how it picks the translated source port.
public struct NATRule: Hashable, Sendable {
    public var tool: NATTool
    /// `ipv4`, `ipv6` or (nft inet tables) `inet`.
    public var family: RuleFamily
    /// `nat` for iptables; the nft table's name.
    public var table: String
    /// The chain the rule is in.
    public var chain: String
    /// Chains from the hook (POSTROUTING / the nft base chain) to this rule's chain.
    public var chainPath: [String]
    /// iptables: 1-based position in its chain (for -I/-R); nft: the rule handle.
    public var position: Int
    public var action: NATAction
    /// Protocols matched by the rule itself (as written).
    public var protocols: ProtocolMatch
    /// The match conditions other than the protocol, one per atom
    /// (`-s 10.42.0.0/16`, `! -d 224.0.0.0/4`, `oifname "eth0"`), including
    /// those of the jumps that lead here. Used to tell which rules shadow which.
    public var conditions: [String]
    /// The rule's own match in its tool's syntax, without the protocol
    /// (for writing the fixed rule).
    public var matchText: String
    /// Source and destination networks when the rule names them ("!" first when negated).
    public var source: String?
    public var destination: String?
    public var mark: String?
    public var outInterface: String?
    public var comment: String?
    public var ports: PortBehaviour
    /// The rule as the tool prints it.
    public var text: String
    /// Where it was read from: a file path or the command that printed it.
    public var origin: String

    public init(
        tool: NATTool, family: RuleFamily, table: String, chain: String, chainPath: [String], position: Int,
        action: NATAction, protocols: ProtocolMatch, conditions: [String], matchText: String,
        source: String? = nil, destination: String? = nil, mark: String? = nil, outInterface: String? = nil,
        comment: String? = nil, ports: PortBehaviour, text: String, origin: String
    ) {
        self.tool = tool
        self.family = family
        self.table = table
        self.chain = chain
        self.chainPath = chainPath
        self.position = position
        self.action = action
        self.protocols = protocols
        self.conditions = conditions
        self.matchText = matchText
        self.source = source
        self.destination = destination
        self.mark = mark
        self.outInterface = outInterface
        self.comment = comment
        self.ports = ports
        self.text = text
        self.origin = origin
    }

    /// Short location: `iptables nat POSTROUTING > FLANNEL-POSTRTG #3`, `nft inet nat postrouting handle 7`.
    public var location: String {
        let path = chainPath.joined(separator: " > ")
        switch tool {
        case .nft: return "nft \(family) \(table) \(path) handle \(position)"
        case .iptables, .ip6tables: return "\(tool.rawValue) \(table) \(path) #\(position)"
        }
    }

    /// Which controller writes this rule's chain, when the name says so.
    public var controller: String? {
        let names = [chain] + chainPath
        if names.contains(where: { $0.hasPrefix("cali-") }) { return "calico" }
        if names.contains(where: { $0.hasPrefix("FLANNEL") || $0.hasPrefix("flannel") }) { return "flannel" }
        if names.contains(where: { $0.hasPrefix("KUBE-") || $0.hasPrefix("kube-") }) { return "kube-proxy" }
        if names.contains(where: { $0.hasPrefix("CNI-") || $0.hasPrefix("cni-") }) { return "cni-portmap/bridge plugin" }
        return nil
    }
}
