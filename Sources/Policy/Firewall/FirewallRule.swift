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
    /// Conditions ctaudit cannot judge (an interface name it cannot see, a
    /// module it does not model). A rule holding one is taken at its worst:
    /// it never accepts and always drops, so a verdict can only err towards
    /// "dropped", never towards a false "clean".
    public var unevaluated: [String] = []
    /// Interface matches (`-o int0`, `oifname "int0"`): ctaudit cannot see the
    /// gateway's interfaces and takes them to match the reply's way to the
    /// node; shown so the reader can check that.
    public var interfaces: [String] = []
    public var action: Action

    public init(label: String, action: Action) {
        self.label = label
        self.action = action
    }

    enum Match { case yes, no, unknown }

    func match(_ packet: ReplyPacket) -> Match {
        if let family, family != packet.family { return .no }
        if let protocols, protocols.contains(packet.proto) == protocolsNegated { return .no }
        if localPorts != nil || remotePorts != nil || tcpFlags != nil {
            // Port and flag matches imply a port-carrying protocol (iptables
            // needs -p, Robot ignores ports without one).
            guard packet.proto.carriesPorts else { return .no }
        }
        if let localPorts, !localPorts.contains(packet.localPort) { return .no }
        if let tcpFlags {
            guard packet.proto == .tcp else { return .no }
            if !tcpFlags.matches(packet.tcpFlags) { return .no }
        }
        if let connectionStates, connectionStates.contains("established") == connectionStatesNegated { return .no }
        var unknown = !unevaluated.isEmpty
        if let remotePorts {
            if let port = packet.remotePort { if !remotePorts.contains(port) { return .no } } else { unknown = true }
        }
        if let remoteNetworks {
            if let remote = packet.remote {
                if remoteNetworks.contains(where: { $0.contains(remote) }) == remoteNegated { return .no }
            } else { unknown = true }
        }
        if let localNetworks {
            if let local = packet.local {
                if localNetworks.contains(where: { $0.contains(local) }) == localNegated { return .no }
            } else { unknown = true }
        }
        return unknown ? .unknown : .yes
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
        if !unevaluated.isEmpty { parts.append("not evaluated: " + unevaluated.joined(separator: " ")) }
        let action: String = switch self.action {
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
