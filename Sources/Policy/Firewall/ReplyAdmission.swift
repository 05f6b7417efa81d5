public import Conntrack

/// Which destination ports the upstream firewall lets a protocol's replies
/// through to, in one family, for one node address, and how that depends on
/// the remote peer: the firewall asked as a program, not reduced to one set.
///
/// Peers the firewall treats alike form one group (`source port 53`, `other
/// peers`); a firewall that ignores the peer has a single group, `any peer`.
/// `--allow RANGES` is the one-group, every-protocol case.
public struct ReplyAdmission: Hashable, Sendable {
    public struct PeerGroup: Hashable, Sendable {
        /// The peers, in words: `any peer`, `source port 53`, `203.0.113.0/24`, `other peers`.
        public var peers: String
        /// Ports their replies are accepted to.
        public var admitted: PortRangeSet
        /// Ports where a rule ctaudit cannot judge decides.
        public var uncertain: PortRangeSet
        /// Admitted ports where a rate limit decides: they may drop under load.
        public var rateLimited: PortRangeSet

        public init(peers: String, admitted: PortRangeSet, uncertain: PortRangeSet = .empty, rateLimited: PortRangeSet = .empty) {
            self.peers = peers
            self.admitted = admitted
            self.uncertain = uncertain
            self.rateLimited = rateLimited
        }
    }

    public var proto: IPProtocol
    public var family: IPAddress.Family
    /// The node address asked about; nil when the firewall was asked for
    /// every node address alike (it names none, or the node's is not known).
    public var node: IPAddress?
    /// Most specific first; the last group is the widest (`other peers`).
    public var groups: [PeerGroup]
    /// When the node's address was not known and the firewall treats node
    /// addresses differently: the answer for each (`198.51.100.2/32`, `other addresses`).
    /// `groups` is then the worst of them (intersection of what they admit).
    public var byNode: [NodeAnswer] = []

    public struct NodeAnswer: Hashable, Sendable {
        public var nodes: String
        public var groups: [PeerGroup]
    }

    public init(proto: IPProtocol, family: IPAddress.Family, node: IPAddress? = nil, groups: [PeerGroup]) {
        self.proto = proto
        self.family = family
        self.node = node
        self.groups = groups
    }

    /// `--allow RANGES`: every peer, every protocol, the same ports.
    public static func uniform(_ allowed: PortRangeSet, proto: IPProtocol, family: IPAddress.Family) -> ReplyAdmission {
        ReplyAdmission(proto: proto, family: family, groups: [PeerGroup(peers: "any peer", admitted: allowed)])
    }

    /// Ports every peer's replies get through to (certainly).
    public var admittedForEveryPeer: PortRangeSet {
        groups.dropFirst().reduce(groups.first?.admitted ?? .empty) { $0.intersection($1.admitted) }
    }

    /// Ports some peer's replies get through to.
    public var admittedForSomePeer: PortRangeSet {
        groups.reduce(PortRangeSet.empty) { $0.union($1.admitted) }
    }

    /// Ports where a rule ctaudit cannot judge decides, for some peer.
    public var uncertainPorts: PortRangeSet {
        groups.reduce(PortRangeSet.empty) { $0.union($1.uncertain) }
    }

    /// Whether the peer decides (beyond the port).
    public var dependsOnPeer: Bool { groups.count > 1 }

    /// The port sets a NAT port choice is judged against: each peer group's
    /// admitted ports, for the groups that get anything through. A group
    /// admitted on no port is refused whatever the port (the firewall's
    /// choice, not NAT's); when every group is, the protocol is closed and
    /// the one set is empty.
    public var judgedSets: [PeerGroup] {
        let open = groups.filter { !$0.admitted.isEmpty || !$0.uncertain.isEmpty }
        return open.isEmpty ? [groups.last ?? PeerGroup(peers: "any peer", admitted: .empty)] : open
    }

    /// No port is admitted (or uncertain) for any peer: every reply of this protocol is dropped.
    public var isClosed: Bool { admittedForSomePeer.isEmpty && uncertainPorts.isEmpty }

    /// Ports some peer's replies may get through to (admitted or uncertain):
    /// a pod range outside all of them is blocked whatever it connects to.
    public var possiblyAdmitted: PortRangeSet { admittedForSomePeer.union(uncertainPorts) }

    /// `tcp/ipv4`.
    public var key: String { "\(proto.name)/\(family)" }

    /// The ports in words, without the protocol: `32768-65535`, `none`,
    /// `0-65535 only from source port 53, none from other peers`,
    /// `1024-65535 (uncertain 0-1023)`.
    public var words: String {
        let text = Self.words(groups)
        guard !byNode.isEmpty else { return text }
        return "depends on the node's address: " + byNode.map { "\(Self.words($0.groups)) for \($0.nodes)" }.joined(separator: "; ")
    }

    static func words(_ groups: [PeerGroup]) -> String {
        func ports(_ group: PeerGroup) -> String {
            var text = group.admitted.isEmpty ? "none" : group.admitted.description
            if !group.uncertain.isEmpty { text += " (uncertain \(group.uncertain))" }
            if !group.rateLimited.isEmpty { text += " (rate-limited \(group.rateLimited): may drop under load)" }
            return text
        }
        guard groups.count > 1 else { return groups.first.map(ports) ?? "none" }
        let open = groups.filter { !$0.admitted.isEmpty || !$0.uncertain.isEmpty }
        let closed = groups.filter { $0.admitted.isEmpty && $0.uncertain.isEmpty }
        var parts = open.map { "\(ports($0)) \(open.count == 1 && !closed.isEmpty ? "only " : "")from \($0.peers)" }
        if !closed.isEmpty { parts.append("none from " + closed.map(\.peers).joined(separator: ", ")) }
        return parts.joined(separator: ", ")
    }

    /// `tcp/ipv4 32768-65535`, `udp/ipv4 0-65535 only from source port 53, none from other peers`.
    public var summary: String { "\(key) \(words)" }

    /// A sentence for one protocol where the peer decides, or the protocol
    /// is closed: `UDP replies admitted only from source port 53`. nil when
    /// one port set holds for every peer and something is admitted.
    public var peerSentence: String? {
        let name = proto.name.uppercased()
        if isClosed { return "the firewall admits \(name)/\(family) replies on no port" }
        guard dependsOnPeer else { return nil }
        let open = groups.filter { !$0.admitted.isEmpty || !$0.uncertain.isEmpty }
        return "\(name)/\(family) replies admitted only from " + open.map(\.peers).joined(separator: " or ")
            + " (" + open.map { $0.admitted.isEmpty ? "uncertain \($0.uncertain)" : "\($0.admitted)" }.joined(separator: "; ") + ")"
    }
}
