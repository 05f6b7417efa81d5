public import Conntrack
public import Policy

/// Counts of flows per source network, summarized so that memory stays
/// bounded whatever the sources: addresses are folded into their /24 (IPv4)
/// or /64 (IPv6), and when a family has more than `limit` networks, into
/// networks 8 (IPv4) or 16 (IPv6) bits shorter, until it fits. Counts stay
/// exact; only the networks get coarser (`prefixLength(_:)` says how coarse).
public struct SourceNetworkSummary: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        public var network: IPNetwork
        public var flows = 0
        /// Of `flows`, those the upstream firewall would drop replies to.
        public var wouldViolate = 0

        public init(network: IPNetwork, flows: Int = 0, wouldViolate: Int = 0) {
            self.network = network
            self.flows = flows
            self.wouldViolate = wouldViolate
        }
    }

    /// Networks kept per family before they are folded into shorter prefixes.
    public static let limit = 64

    private var counts: [IPNetwork: Entry] = [:]
    private var ipv4Prefix = 24
    private var ipv6Prefix = 64
    /// Networks per family in `counts`, kept as they change (an outside flow
    /// costs one dictionary update, not a walk over the networks).
    private var ipv4Networks = 0
    private var ipv6Networks = 0

    public init() {}

    /// The prefix length addresses of `family` are summarized to now.
    public func prefixLength(_ family: IPAddress.Family) -> Int {
        family == .ipv4 ? ipv4Prefix : ipv6Prefix
    }

    public var isEmpty: Bool { counts.isEmpty }

    /// Counts one flow from `source`.
    public mutating func add(_ source: IPAddress, wouldViolate: Bool) {
        add(
            Entry(
                network: IPNetwork(unchecked: source, prefixLength: prefixLength(source.family)),
                flows: 1, wouldViolate: wouldViolate ? 1 : 0))
    }

    /// Adds counts for a network (merging summaries, or reading a report).
    public mutating func add(_ entry: Entry) {
        let family = entry.network.address.family
        let prefix = min(prefixLength(family), entry.network.prefixLength)
        if prefix < prefixLength(family) { fold(family, to: prefix) }
        let network = IPNetwork(unchecked: entry.network.address, prefixLength: prefix)
        if counts[network] == nil {
            counts[network] = Entry(network: network)
            if family == .ipv4 { ipv4Networks += 1 } else { ipv6Networks += 1 }
        }
        counts[network]!.flows += entry.flows
        counts[network]!.wouldViolate += entry.wouldViolate
        while (family == .ipv4 ? ipv4Networks : ipv6Networks) > Self.limit {
            fold(family, to: max(prefixLength(family) - (family == .ipv4 ? 8 : 16), 0))
        }
    }

    /// Re-keys every network of `family` to `prefix` bits, merging counts.
    private mutating func fold(_ family: IPAddress.Family, to prefix: Int) {
        if family == .ipv4 { ipv4Prefix = prefix } else { ipv6Prefix = prefix }
        var folded: [IPNetwork: Entry] = [:]
        for (network, entry) in counts {
            let key = network.address.family == family ? IPNetwork(unchecked: network.address, prefixLength: prefix) : network
            folded[key, default: Entry(network: key)].flows += entry.flows
            folded[key]!.wouldViolate += entry.wouldViolate
        }
        counts = folded
        ipv4Networks = counts.keys.filter { $0.address.family == .ipv4 }.count
        ipv6Networks = counts.count - ipv4Networks
    }

    /// Most flows first, then IPv4 before IPv6 and by address: a stable order.
    public var entries: [Entry] {
        counts.values.sorted { a, b in
            if a.flows != b.flows { return a.flows > b.flows }
            if a.network.address != b.network.address { return a.network.address < b.network.address }
            return a.network.prefixLength < b.network.prefixLength
        }
    }
}
