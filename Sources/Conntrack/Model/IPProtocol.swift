/// An IP protocol number (the `proto` of a conntrack tuple).
public struct IPProtocol: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let icmp = IPProtocol(rawValue: 1)
    public static let tcp = IPProtocol(rawValue: 6)
    public static let udp = IPProtocol(rawValue: 17)
    public static let dccp = IPProtocol(rawValue: 33)
    public static let gre = IPProtocol(rawValue: 47)
    public static let icmpv6 = IPProtocol(rawValue: 58)
    public static let sctp = IPProtocol(rawValue: 132)
    public static let udplite = IPProtocol(rawValue: 136)

    /// Protocols whose tuples carry source and destination ports, and whose
    /// source port masquerade can therefore remap.
    public var carriesPorts: Bool {
        switch self {
        case .tcp, .udp, .sctp, .udplite, .dccp: true
        default: false
        }
    }

    /// Lower-case name as conntrack(8) prints it, or the number.
    public var name: String {
        switch self {
        case .icmp: "icmp"
        case .tcp: "tcp"
        case .udp: "udp"
        case .dccp: "dccp"
        case .gre: "gre"
        case .icmpv6: "icmpv6"
        case .sctp: "sctp"
        case .udplite: "udplite"
        default: "\(rawValue)"
        }
    }

    public var description: String { name }

    public static func < (lhs: IPProtocol, rhs: IPProtocol) -> Bool { lhs.rawValue < rhs.rawValue }
}
