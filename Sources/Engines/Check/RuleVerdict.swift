/// How a NAT rule (or a whole node) stands against the upstream firewall.
public enum RuleVerdict: String, Hashable, Sendable, Comparable, CaseIterable {
    /// No flow can leave with a port outside the allowed ranges.
    case safe
    /// No flow is known to fail, but a firewall rule ctaudit cannot judge
    /// decides the replies to some ports NAT can pick (`--firewall`).
    case uncertain
    /// Flows that clash (two pods, same source port, same server) can.
    case atRisk = "at-risk"
    /// Flows fail without any clash: every flow is remapped (random flags)
    /// or keeps/gets a port outside the allowed ranges.
    case broken

    public static func < (lhs: RuleVerdict, rhs: RuleVerdict) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .safe: 0
        case .uncertain: 1
        case .atRisk: 2
        case .broken: 3
        }
    }

    /// Upper-case label for text reports.
    public var label: String {
        switch self {
        case .safe: "SAFE"
        case .uncertain: "UNCERTAIN"
        case .atRisk: "AT RISK"
        case .broken: "BROKEN"
        }
    }
}
