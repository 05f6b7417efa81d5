public import Conntrack

/// The address family of the table a NAT rule lives in: iptables' two
/// families, or nft's `ip`, `ip6` and `inet` (both).
public enum RuleFamily: Hashable, Sendable, CustomStringConvertible {
    case ipv4
    case ipv6
    case inet
    /// A family nft names that NAT rules do not normally use.
    case other(String)

    public init(_ family: IPAddress.Family) {
        self = family == .ipv4 ? .ipv4 : .ipv6
    }

    /// From nft's name for it.
    public init(nft name: String) {
        switch name {
        case "ip": self = .ipv4
        case "ip6": self = .ipv6
        case "inet": self = .inet
        default: self = .other(name)
        }
    }

    /// As the check schema and rule locations write it: `ipv4`, `ipv6`, `inet`.
    public var description: String {
        switch self {
        case .ipv4: "ipv4"
        case .ipv6: "ipv6"
        case .inet: "inet"
        case .other(let name): name
        }
    }

    /// nft's name, for commands: `ip`, `ip6`, `inet`.
    public var nftName: String {
        switch self {
        case .ipv4: "ip"
        case .ipv6: "ip6"
        case .inet: "inet"
        case .other(let name): name
        }
    }
}
