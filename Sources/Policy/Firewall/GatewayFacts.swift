/// What a firewall file says about the gateway as a whole, which decides
/// conditions no single rule can: whether anything on it sets packet marks,
/// NATs connections of its own, or stops tracking some traffic. A reader
/// fills these from every table in the file (not only the filter chains it
/// judges), and the rules' conditions are evaluated with them.
public struct GatewayFacts: Hashable, Sendable {
    /// Some rule sets a packet or connection mark (iptables MARK/CONNMARK,
    /// nft `meta mark set`/`ct mark set`): a mark match cannot be judged.
    /// Otherwise every mark is 0.
    public var setsMarks = false
    /// The gateway has source-NAT rules: a connection may be `SNAT` to it.
    public var sourceNATs = false
    /// The gateway has destination-NAT rules (DNAT, REDIRECT, nft dnat): a
    /// connection may be `DNAT`.
    public var destinationNATs = false
    /// Some rule turns connection tracking off (NOTRACK, CT --notrack, nft
    /// notrack): a reply may be UNTRACKED instead of ESTABLISHED.
    public var untracks = false
    /// The stage delivers the reply to the firewall's own host (an INPUT
    /// chain, a vendor firewall in front of one server) instead of
    /// forwarding it: the reply's destination is then a local address.
    public var delivered = false

    public init() {}
}
