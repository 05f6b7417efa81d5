import Conntrack
public import Policy

/// What an audit's exit status and its sentences about scope rest on: pods
/// blocked entirely, and the source-NATed flows from outside the pod networks.
extension AuditReport {
    /// Pods whose whole `ip_local_port_range` is outside the allowed ports
    /// while a NAT rule their TCP/UDP reaches keeps it: every connection fails.
    public var blockedPods: [PodPortRangeFinding] {
        kubernetes.portRangeFindings.filter(\.failsEveryConnection)
    }

    /// Flows the firewall drops replies to: pod violations, and the flows
    /// from outside the pod networks that would violate.
    public var violatingFlows: Int { summary.violations + summary.outsidePodNetworks.wouldViolate }

    /// Whether the audit fails (exit 1) when up to `tolerated` violating
    /// flows are forgiven (`--max-violations`). Only flows are forgiven: a pod
    /// blocked entirely fails every connection it makes, however few it made
    /// so far, so it fails the audit whatever the tolerance.
    public func fails(toleratingViolations tolerated: Int) -> Bool {
        !blockedPods.isEmpty || violatingFlows > tolerated
    }

    /// `10.244.0.0/24: 3 flow(s), 2 would violate; fd00:10:244::/64: 1 flow(s), 1 would violate`,
    /// the `limit` largest networks, then how many more.
    public func outsideSourcesSummary(limit: Int) -> String {
        let entries = summary.outsidePodNetworks.sources.entries
        var parts = entries.prefix(limit).map { "\($0.network): \(Self.outsideCounts($0))" }
        if entries.count > limit { parts.append("\(entries.count - limit) more network(s)") }
        return parts.joined(separator: "; ")
    }

    /// `3 flow(s), 2 would violate` / `5 flow(s), none would violate`.
    public static func outsideCounts(_ entry: SourceNetworkSummary.Entry) -> String {
        "\(entry.flows) flow(s), " + (entry.wouldViolate > 0 ? "\(entry.wouldViolate) would violate" : "none would violate")
    }

    /// The source networks to give as pod networks (those with flows that
    /// would violate, when any), at most four.
    public var outsideNetworksToAudit: [IPNetwork] {
        let entries = summary.outsidePodNetworks.sources.entries
        let violating = entries.filter { $0.wouldViolate > 0 }
        return (violating.isEmpty ? entries : violating).prefix(4).map(\.network)
    }

    /// `give their networks (--pod-cidr 10.244.0.0/24 --pod-cidr fd00::/64) to audit them as pods`,
    /// in the caller's words for how pod networks are given.
    public var outsidePodNetworksAdvice: String {
        let networks = outsideNetworksToAudit
        let phrase = hints.phrase(.podNetworks)
        let given =
            phrase.isCommandLine
            ? networks.map { "\(phrase.text) \($0)" }.joined(separator: " ")
            : "as pod networks: " + networks.map(\.description).joined(separator: ", ")
        let coarse = networks.contains { $0.prefixLength < ($0.address.family == .ipv4 ? 24 : 64) }
        return "give their networks (\(given)) to audit them as pods and get the fix"
            + (coarse ? "; these are summaries of many sources: give the real pod networks" : "")
    }
}
