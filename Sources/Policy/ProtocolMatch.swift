public import Conntrack

/// Which IP protocols a rule matches, after the rules before it took theirs.
public enum ProtocolMatch: Hashable, Sendable, CustomStringConvertible {
    /// No protocol match: every protocol, except those earlier NAT rules with
    /// the same match already translated.
    case any(except: Set<IPProtocol>)
    /// `-p tcp`, `meta l4proto { tcp, udp }`, `tcp dport 80`...
    case only(Set<IPProtocol>)

    public static let all = ProtocolMatch.any(except: [])

    public func contains(_ proto: IPProtocol) -> Bool {
        switch self {
        case .any(let except): !except.contains(proto)
        case .only(let protocols): protocols.contains(proto)
        }
    }

    /// The protocols pods reach the internet with, and whose ports NAT can move.
    public static let portCarrying: [IPProtocol] = [.tcp, .udp]

    /// Of tcp and udp, those this match lets through.
    public var portCarryingProtocols: [IPProtocol] { ProtocolMatch.portCarrying.filter(contains) }

    /// A port range can only be written on a rule that names its protocol.
    public var canCarryPortRange: Bool {
        if case .only(let protocols) = self { return !protocols.isEmpty && protocols.allSatisfy(\.carriesPorts) }
        return false
    }

    public var description: String {
        switch self {
        case .any(let except) where except.isEmpty: "any protocol"
        case .any(let except): "any protocol except " + except.sorted().map(\.name).joined(separator: ", ")
        case .only(let protocols) where protocols.isEmpty: "none"
        case .only(let protocols): protocols.sorted().map(\.name).joined(separator: ", ")
        }
    }
}
