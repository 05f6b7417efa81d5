public import Conntrack

/// A match condition beyond addresses, ports, protocol and TCP flags, as the
/// readers parse them from iptables modules and nft expressions, evaluated
/// for a reply packet: a unicast packet of a connection the gateway already
/// tracks (ESTABLISHED, in the reply direction, seen a reply), with no IPv6
/// routing header, to a unicast address (a local one when the stage
/// delivers it). What cannot be known from the file is `unknown`, and a
/// rule holding an unknown condition has an unknown outcome.
public enum ReplyCondition: Hashable, Sendable, CustomStringConvertible {
    /// Holds for no reply; the text says which match and why (`-m rt --rt-type 0`: a reply has no routing header).
    case never(String)
    /// Cannot be judged from the file (ipset members, `recent` lists, marks set elsewhere...).
    case unknown(String)
    /// Connection tracking states (`-m conntrack --ctstate`, `-m state`, nft `ct state`), lower case.
    case connectionState(Set<String>, negated: Bool)
    /// Connection status bits (`--ctstatus`, nft `ct status`), lower case with dashes: `seen-reply`.
    /// `all`: every bit must be set (nft `ct status & X == X`); otherwise any of them.
    case connectionStatus(Set<String>, negated: Bool, all: Bool)
    /// `addrtype --src-type/--dst-type`, nft `fib saddr/daddr type`, upper case (`UNICAST`, `LOCAL`).
    case addressType(ofDestination: Bool, types: Set<String>, negated: Bool)
    /// `-m pkttype`, nft `meta pkttype`, lower case (`unicast`/`host`, `broadcast`, `multicast`).
    case packetType(Set<String>, negated: Bool)
    /// `-m mark`/`-m connmark`, nft `meta mark`/`ct mark`: (mark & mask) == value.
    case mark(value: UInt32, mask: UInt32, negated: Bool, text: String)
    /// ICMP type or code matches: they only ever decide ICMP packets, which
    /// are never a TCP/UDP reply; for ICMP itself they are not evaluated.
    case icmpType(String)
    /// The connection's protocol (`--ctproto`): the packet's own.
    case protocolIs(IPProtocol, negated: Bool)

    /// Three-valued: `.yes`, `.no` or `.unknown`.
    func evaluate(_ packet: ReplyPacket, facts: GatewayFacts) -> FirewallRule.Match {
        switch self {
        case .never:
            return .no
        case .unknown:
            return .unknown
        case .connectionState(let states, let negated):
            return Self.any(states.map { Self.state($0, packet: packet, facts: facts) }).negated(negated)
        case .connectionStatus(let bits, let negated, let all):
            let values = bits.map { Self.status($0, packet: packet, facts: facts) }
            return (all ? Self.every(values) : Self.any(values)).negated(negated)
        case .addressType(let destination, let types, let negated):
            let actual: Set<String> = destination && facts.delivered ? ["LOCAL"] : ["UNICAST"]
            return FirewallRule.Match(!types.isDisjoint(with: actual)).negated(negated)
        case .packetType(let types, let negated):
            return FirewallRule.Match(types.contains("unicast") || types.contains("host")).negated(negated)
        case .mark(let value, let mask, let negated, _):
            if facts.setsMarks { return .unknown }
            return FirewallRule.Match(0 & mask == value).negated(negated)
        case .icmpType:
            return packet.proto == .icmp || packet.proto == .icmpv6 ? .unknown : .no
        case .protocolIs(let proto, let negated):
            return FirewallRule.Match(packet.proto == proto).negated(negated)
        }
    }

    /// One tracking state for a reply. ESTABLISHED unless the gateway may not
    /// track it; SNAT/DNAT (iptables' virtual states) when the gateway NATs.
    static func state(_ name: String, packet: ReplyPacket, facts: GatewayFacts) -> FirewallRule.Match {
        switch name {
        case "established": return facts.untracks ? .unknown : .yes
        case "untracked": return facts.untracks ? .unknown : .no
        case "snat": return facts.sourceNATs ? .unknown : .no
        case "dnat": return facts.destinationNATs ? .unknown : .no
        case "new", "invalid", "related": return .no
        default: return .unknown
        }
    }

    /// One status bit of the reply's connection. A TCP reply after the
    /// handshake is ASSURED, the SYN-ACK is not; a UDP entry becomes assured
    /// on a timer after its first reply, so that is not known.
    static func status(_ name: String, packet: ReplyPacket, facts: GatewayFacts) -> FirewallRule.Match {
        switch name {
        case "seen-reply", "seen_reply", "confirmed": return facts.untracks ? .unknown : .yes
        case "expected", "dying", "none": return .no
        case "assured":
            guard !facts.untracks, let assured = packet.isAssured else { return .unknown }
            return FirewallRule.Match(assured)
        case "snat", "src-nat": return facts.sourceNATs ? .unknown : .no
        case "dnat", "dst-nat": return facts.destinationNATs ? .unknown : .no
        default: return .unknown
        }
    }

    static func any(_ values: [FirewallRule.Match]) -> FirewallRule.Match {
        if values.contains(.yes) { return .yes }
        return values.contains(.unknown) ? .unknown : .no
    }

    static func every(_ values: [FirewallRule.Match]) -> FirewallRule.Match {
        if values.contains(.no) { return .no }
        return values.contains(.unknown) ? .unknown : .yes
    }

    /// Whether the outcome can depend on the packet, not only on the file.
    var dependsOnPacket: Bool {
        switch self {
        case .connectionStatus(let bits, _, _): bits.contains("assured")
        case .icmpType, .protocolIs: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .never(let text), .unknown(let text), .icmpType(let text): return text
        case .connectionState(let states, let negated):
            return "ct state \(negated ? "not " : "")\(states.sorted().joined(separator: ","))"
        case .connectionStatus(let bits, let negated, _):
            return "ct status \(negated ? "not " : "")\(bits.sorted().joined(separator: ","))"
        case .addressType(let destination, let types, let negated):
            return "\(destination ? "dst" : "src") type \(negated ? "not " : "")\(types.sorted().joined(separator: ","))"
        case .packetType(let types, let negated):
            return "pkttype \(negated ? "not " : "")\(types.sorted().joined(separator: ","))"
        case .mark(_, _, _, let text):
            return text
        case .protocolIs(let proto, let negated):
            return "ct proto \(negated ? "not " : "")\(proto.name)"
        }
    }
}

extension FirewallRule.Match {
    init(_ value: Bool) { self = value ? .yes : .no }

    func negated(_ flag: Bool) -> FirewallRule.Match {
        guard flag else { return self }
        switch self {
        case .yes: return .no
        case .no: return .yes
        case .unknown: return .unknown
        }
    }

    /// Both must hold.
    func and(_ other: FirewallRule.Match) -> FirewallRule.Match {
        if self == .no || other == .no { return .no }
        return self == .unknown || other == .unknown ? .unknown : .yes
    }
}
