/// Where a source NAT was recorded: the kernel's conntrack table, or the
/// table of a BPF dataplane that translates outside conntrack's sight.
public enum Dataplane: String, Hashable, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case conntrack
    /// Cilium BPF masquerading (`cilium_snat_v4_external` / `_v6_`).
    case cilium
    /// Calico eBPF host source-port NAT (`cali_v4_ct…` / `cali_v6_ct…`).
    case calico

    public var description: String { rawValue }

    /// Calico's host source-port NAT moves the node's own connections, so its
    /// flows start from a node address, never a pod network: they are audited
    /// whatever the pod networks are (destination exclusions and the allowed
    /// ranges still apply).
    package var auditsEverySource: Bool { self == .calico }

    public static func < (a: Dataplane, b: Dataplane) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Counts for one dataplane, in the summary.
public struct DataplaneCounts: Hashable, Sendable {
    /// Entries decoded (for BPF maps: translation entries, reverse entries not included).
    public var flows = 0
    public var snat = 0
    public var remapped = 0
    public var violations = 0

    public init() {}
}
