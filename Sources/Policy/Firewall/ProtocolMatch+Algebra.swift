public import Conntrack

extension ProtocolMatch {
    /// Protocol names as iptables and nft write them.
    public static func parseProtocol(_ name: String) -> IPProtocol? {
        switch name.lowercased() {
        case "tcp": .tcp
        case "udp": .udp
        case "icmp": .icmp
        case "icmpv6", "ipv6-icmp", "icmp6": .icmpv6
        case "sctp": .sctp
        case "dccp": .dccp
        case "udplite": .udplite
        case "gre": .gre
        case "esp": IPProtocol(rawValue: 50)
        case "ah": IPProtocol(rawValue: 51)
        default: UInt8(name).map(IPProtocol.init(rawValue:))
        }
    }

    /// Traffic both matches let through.
    public func intersecting(_ other: ProtocolMatch) -> ProtocolMatch {
        switch (self, other) {
        case let (.any(a), .any(b)): .any(except: a.union(b))
        case let (.any(a), .only(b)), let (.only(b), .any(a)): .only(b.subtracting(a))
        case let (.only(a), .only(b)): .only(a.intersection(b))
        }
    }

    /// Traffic this match lets through that `other` does not.
    public func subtracting(_ other: ProtocolMatch) -> ProtocolMatch {
        switch (self, other) {
        case let (.any(a), .only(b)): .any(except: a.union(b))
        case let (.any(a), .any(b)): .only(b.subtracting(a))
        case let (.only(a), .only(b)): .only(a.subtracting(b))
        case let (.only(a), .any(b)): .only(a.intersection(b))
        }
    }
}
