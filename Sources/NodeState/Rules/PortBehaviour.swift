public import Policy

/// How a SNAT/MASQUERADE rule picks the translated source port
/// (nf_nat_l4proto_unique_tuple in net/netfilter/nf_nat_proto.c; see docs/CHECK.md).
public struct PortBehaviour: Hashable, Sendable, CustomStringConvertible {
    /// `--to-ports A-B`, `--to-source ADDR:A-B`, nft `to :A-B`
    /// (NF_NAT_RANGE_PROTO_SPECIFIED). Nil: the kernel's default ranges.
    public var range: PortRange?
    /// `--random` / nft `random` (NF_NAT_RANGE_PROTO_RANDOM).
    public var random: Bool
    /// `--random-fully` / nft `fully-random` (NF_NAT_RANGE_PROTO_RANDOM_FULLY).
    public var randomFully: Bool
    /// `--persistent` / nft `persistent`: address choice only, ports unaffected.
    public var persistent: Bool

    public init(range: PortRange? = nil, random: Bool = false, randomFully: Bool = false, persistent: Bool = false) {
        self.range = range
        self.random = random
        self.randomFully = randomFully
        self.persistent = persistent
    }

    /// Both random flags skip the kernel's "keep the original port if the
    /// tuple is free" step (NF_NAT_RANGE_PROTO_RANDOM_ALL): every flow is remapped.
    public var remapsEveryFlow: Bool { random || randomFully }

    /// Where a flow whose original source port is `port` is remapped to.
    /// Without a range the kernel keeps privileged ports privileged.
    public func remapRange(forOriginalPort port: UInt16) -> PortRange {
        if let range { return range }
        if port < 512 { return PortRange(low: 1, high: 511)! }
        if port < 1024 { return PortRange(low: 600, high: 1023)! }
        return PortRange(low: 1024, high: 65535)!
    }

    /// Whether a flow keeps `port` when its tuple is free.
    public func keeps(_ port: UInt16) -> Bool {
        if remapsEveryFlow { return false }
        return range?.contains(port) ?? true
    }

    /// The flags as the tools write them, e.g. `random-fully, to-ports 32768-65535`.
    public var description: String {
        var parts: [String] = []
        if let range { parts.append("to-ports \(range.low)-\(range.high)") } else { parts.append("no port range") }
        if randomFully { parts.append("random-fully") }
        if random { parts.append("random") }
        if persistent { parts.append("persistent") }
        return parts.joined(separator: ", ")
    }

    /// One sentence on what the kernel does with it.
    public var explanation: String {
        let target = range.map { "\($0.low)-\($0.high)" } ?? "1024-65535 (600-1023 / 1-511 for privileged ports)"
        if remapsEveryFlow {
            return "every flow is remapped to a random port in \(target)"
        }
        if let range {
            return "a flow keeps its port if it is in \(range.low)-\(range.high) and free, else gets one in \(range.low)-\(range.high)"
        }
        return "a flow keeps its port if free; on a clash it gets one in \(target)"
    }
}
