/// A named upstream firewall: which translated source ports it lets replies
/// back to. Built-in ones cover the common cases; a config file adds more.
public struct UpstreamProfile: Hashable, Sendable {
    public var name: String
    public var allowed: PortRangeSet
    public var summary: String

    public init(name: String, allowed: PortRangeSet, summary: String) {
        self.name = name
        self.allowed = allowed
        self.summary = summary
    }

    private static func range(_ low: UInt16, _ high: UInt16) -> PortRangeSet {
        PortRangeSet([PortRange(low: low, high: high)!])
    }

    public static let builtIn: [UpstreamProfile] = [
        UpstreamProfile(
            name: "hetzner-robot", allowed: range(32768, 65535),
            summary: "Hetzner Robot stateless firewall's usual 'ephemeral ports' rule for replies"),
        UpstreamProfile(
            name: "linux-ephemeral", allowed: range(32768, 60999),
            summary: "Linux default net.ipv4.ip_local_port_range"),
        UpstreamProfile(
            name: "iana-ephemeral", allowed: range(49152, 65535),
            summary: "IANA dynamic ports (RFC 6335), Windows' default ephemeral range"),
        UpstreamProfile(
            name: "aws-nacl", allowed: range(1024, 65535),
            summary: "ephemeral range AWS recommends opening in network ACLs"),
    ]

    public static func builtIn(named name: String) -> UpstreamProfile? {
        builtIn.first { $0.name == name }
    }
}
