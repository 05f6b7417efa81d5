public import Conntrack

/// One rule of an upstream firewall, reduced to what decides a reply's fate:
/// protocol, family, remote address and port (the reply's source), local
/// address and port (the node's translated address and port), TCP flags,
/// connection state, and what happens on a match.
public struct FirewallRule: Hashable, Sendable {
    public enum Action: Hashable, Sendable {
        case accept
        case drop
        /// iptables/nft: continue in another chain and come back.
        case jump(String)
        /// iptables `-g` / nft `goto`: continue in another chain, never come back.
        case goto(String)
        /// Leave this chain (iptables RETURN, nft return).
        case leave
    }

    /// How a verdict names the rule: `rule "Allow responses" (input #3)`.
    public var label: String
    public var family: IPAddress.Family?
    /// nil: any protocol.
    public var protocols: Set<IPProtocol>?
    public var protocolsNegated = false
    public var remoteNetworks: [IPNetwork]?
    public var remoteNegated = false
    public var remotePorts: PortRangeSet?
    public var localNetworks: [IPNetwork]?
    public var localNegated = false
    public var localPorts: PortRangeSet?
    public var tcpFlags: TCPFlagMatch?
    /// Connection tracking states the rule matches (`established`, `new`...);
    /// replies are `established` to a stateful gateway.
    public var connectionStates: Set<String>?
    public var connectionStatesNegated = false
    /// Conditions ctaudit cannot judge (a module it does not model, an ipset
    /// whose members the file does not hold). A rule holding one has an
    /// unknown outcome: a reply it may decide is *uncertain*, never counted
    /// as dropped or as admitted.
    public var unevaluated: [String] = []
    /// Interface matches (`-o int0`, `oifname "int0"`): ctaudit cannot see the
    /// gateway's interfaces and takes them to match the reply's way to the
    /// node; shown so the reader can check that. Loopback (`lo`) never
    /// matches: a reply from outside never crosses it.
    public var interfaces: [String] = []
    /// Further matches (tracking state and status, address and packet type,
    /// marks, ICMP types...), evaluated for a reply packet.
    public var conditions: [ReplyCondition] = []
    /// `--ports` of multiport: the rule matches when either port is in the set.
    public var eitherPorts: PortRangeSet?
    /// A rate limit (`-m limit`, `-m hashlimit`, nft `limit rate`): the rule
    /// matches while traffic stays under it, so it decides normal traffic
    /// and may let go (`over`: may start matching) under load. Not a drop rule.
    public var rateLimit: RateLimit?
    public var action: Action

    public struct RateLimit: Hashable, Sendable {
        /// `limit 3/min burst 10`, as the file writes it.
        public var text: String
        /// The rule matches only above the rate (nft `limit rate over`, `--hashlimit-above`).
        public var over: Bool

        public init(text: String, over: Bool = false) {
            self.text = text
            self.over = over
        }
    }

    public init(label: String, action: Action) {
        self.label = label
        self.action = action
    }

    enum Match { case yes, no, unknown }

    /// Whether the rule matches `packet`: `.unknown` when a condition it holds
    /// cannot be judged (or depends on a peer the packet leaves open).
    /// `underLoad`: rate limits are exceeded.
    func match(_ packet: ReplyPacket, facts: GatewayFacts = GatewayFacts(), underLoad: Bool = false) -> Match {
        if let family, family != packet.family { return .no }
        if let protocols, protocols.contains(packet.proto) == protocolsNegated { return .no }
        if localPorts != nil || remotePorts != nil || eitherPorts != nil || tcpFlags != nil {
            // Port and flag matches imply a port-carrying protocol (iptables
            // needs -p, Robot ignores ports without one).
            guard packet.proto.carriesPorts else { return .no }
        }
        if let localPorts, !localPorts.contains(packet.localPort) { return .no }
        if let tcpFlags {
            guard packet.proto == .tcp else { return .no }
            if !tcpFlags.matches(packet.tcpFlags) { return .no }
        }
        if interfaces.contains(where: Self.isLoopback) { return .no }
        var result: Match = unevaluated.isEmpty ? .yes : .unknown
        if let connectionStates {
            result = result.and(
                ReplyCondition.connectionState(connectionStates, negated: connectionStatesNegated)
                    .evaluate(packet, facts: facts))
        }
        for condition in conditions {
            result = result.and(condition.evaluate(packet, facts: facts))
            if result == .no { return .no }
        }
        if let rateLimit, rateLimit.over != underLoad { return .no }
        if let eitherPorts {
            if !eitherPorts.contains(packet.localPort) {
                if let port = packet.remotePort { if !eitherPorts.contains(port) { return .no } } else { result = result.and(.unknown) }
            }
        }
        if let remotePorts {
            if let port = packet.remotePort { if !remotePorts.contains(port) { return .no } } else { result = result.and(.unknown) }
        }
        if let remoteNetworks {
            if let remote = packet.remote {
                if remoteNetworks.contains(where: { $0.contains(remote) }) == remoteNegated { return .no }
            } else {
                result = result.and(.unknown)
            }
        }
        if let localNetworks {
            if let local = packet.local {
                if localNetworks.contains(where: { $0.contains(local) }) == localNegated { return .no }
            } else {
                result = result.and(.unknown)
            }
        }
        return result
    }

    /// `in lo`, `out not lo`...: a match on the loopback interface itself
    /// (negated ones are taken to match like any other interface match).
    static func isLoopback(_ interface: String) -> Bool {
        interface == "in lo" || interface == "out lo"
    }

    /// The conditions that make the rule's match unknown for a reply whose
    /// peer is known, as the rule prints them.
    func unjudgedParts(facts: GatewayFacts) -> [String] {
        let anyPacket = ReplyPacket(family: family ?? .ipv4, proto: .tcp, remote: nil, remotePort: nil, local: nil, localPort: 0)
        var parts = unevaluated
        if connectionStates != nil, facts.untracks { parts.append("ct state (this gateway stops tracking some traffic)") }
        for condition in conditions where condition.evaluate(anyPacket, facts: facts) == .unknown {
            switch condition {
            case .mark: parts.append("\(condition) (this gateway sets marks)")
            case .connectionState, .connectionStatus: parts.append("\(condition) (this gateway NATs or stops tracking some traffic)")
            default: parts.append(condition.description)
            }
        }
        return parts.isEmpty ? ["the peer's address or port"] : parts
    }

    /// What the rule matches, the way the verdict prints it: `tcp ack, dst 32768-65535`.
    public var summary: String {
        var head: [String] = []
        if let family { head.append(family.description) }
        if let protocols {
            let names = protocols.sorted().map(\.name).joined(separator: ",")
            head.append(protocolsNegated ? "not \(names)" : names)
        } else {
            head.append("any protocol")
        }
        if let tcpFlags { head.append(tcpFlags.description) }
        var parts = [head.joined(separator: " ")]
        if let connectionStates {
            parts.append("ct state \(connectionStatesNegated ? "not " : "")\(connectionStates.sorted().joined(separator: ","))")
        }
        if let remoteNetworks {
            parts.append("src \(remoteNegated ? "not " : "")\(remoteNetworks.map(\.description).joined(separator: ","))")
        }
        if let remotePorts { parts.append("src port \(remotePorts)") }
        if let localNetworks {
            parts.append("dst \(localNegated ? "not " : "")\(localNetworks.map(\.description).joined(separator: ","))")
        }
        if let localPorts { parts.append("dst \(localPorts)") }
        if !interfaces.isEmpty { parts.append(interfaces.joined(separator: " ")) }
        if let eitherPorts { parts.append("src or dst port \(eitherPorts)") }
        parts += conditions.map(\.description)
        if let rateLimit { parts.append(rateLimit.over ? "over \(rateLimit.text)" : rateLimit.text) }
        if !unevaluated.isEmpty { parts.append("not evaluated: " + unevaluated.joined(separator: " ")) }
        let action: String =
            switch self.action {
            case .accept: "accept"
            case .drop: "discard"
            case .jump(let chain): "jump \(chain)"
            case .goto(let chain): "goto \(chain)"
            case .leave: "return"
            }
        return parts.joined(separator: ", ") + " (" + action + ")"
    }

    /// `rule "Allow responses" (input #3): tcp ack, dst 32768-65535 -> accept`
    public var description: String { "\(label): \(summary)" }
}
