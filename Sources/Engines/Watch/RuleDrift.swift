public import NodeState
import Policy

/// What watch's periodic re-check (`--check-interval`, counters mode) last
/// saw of the node's NAT rules and dataplane settings: check's verdict, the
/// risky share per rule family, and how often the rules changed since the
/// watch started. The check itself is `NodeCheck` (and `DataplaneCheck`),
/// the engine `ctaudit check` runs: read-only, it never writes a rule.
public struct RuleDrift: Hashable, Sendable {
    /// The verdict of the last check; nil when it failed (`error`).
    public private(set) var verdict: RuleVerdict?
    /// Why the last check failed (nft or iptables-save missing, namespace gone).
    public private(set) var error: String?
    /// Per rule family (`iptables`, `nft`, `calico`, `cilium`): the largest
    /// share, over the family's rules pod traffic reaches, of remapped flows
    /// that get a port outside the allowed ranges (check's
    /// `share_of_remapped_outside`; for a BPF dataplane the share of its
    /// range outside them).
    public private(set) var riskyShare: [String: Double] = [:]
    /// Unix seconds of the last check (successful or not); nil: none yet.
    public private(set) var lastCheckSeconds: Double?
    public private(set) var checks = 0
    /// Checks whose rules (text, flags, order) or dataplane settings differed
    /// from the previous successful check's; the first check is the baseline.
    public private(set) var changes = 0
    /// Checks that ended with another verdict than the previous one.
    public private(set) var verdictChanges = 0
    private var fingerprint: [String]?

    public init() {}

    /// Families that always have a series (0 when the node has no such rule),
    /// so a query sees a family appear as a change of value, not of labels.
    public static let baselineFamilies = ["iptables", "nft"]

    /// The family a rule is counted in: the controller that writes it when it
    /// is one with its own fix (Calico's Felix), else the tool.
    public static func family(of rule: NATRule) -> String {
        if rule.controller == "calico" { return "calico" }
        return rule.tool == .nft ? "nft" : "iptables"
    }

    /// Records one finished check.
    public mutating func record(_ report: CheckReport, atSeconds now: Double) {
        checks += 1
        lastCheckSeconds = now
        var shares = Dictionary(uniqueKeysWithValues: Self.baselineFamilies.map { ($0, 0.0) })
        for finding in report.findings where finding.inScope {
            let share = finding.predictions.map(\.shareOfRemappedOutside).max() ?? 0
            shares[Self.family(of: finding.rule), default: 0] = max(shares[Self.family(of: finding.rule)] ?? 0, share)
        }
        for dataplane in report.dataplanes {
            let share = Double(dataplane.outside.count) / Double(dataplane.ports.count)
            shares[dataplane.dataplane.rawValue] = max(shares[dataplane.dataplane.rawValue] ?? 0, share)
        }
        riskyShare = shares
        let now =
            report.findings.map { "\($0.rule.location) \($0.rule.text) \($0.inScope)" }
            + report.dataplanes.map { "\($0.dataplane.rawValue) \($0.ports) \($0.portsFrom)" }
        if let fingerprint, fingerprint != now { changes += 1 }
        fingerprint = now
        if let verdict, verdict != report.verdict { verdictChanges += 1 }
        verdict = report.verdict
        error = nil
    }

    /// Records a check that could not read the rules: the verdict is unknown
    /// until the next one works (never the last good one, which may be stale).
    public mutating func recordFailure(_ reason: String, atSeconds now: Double) {
        checks += 1
        lastCheckSeconds = now
        if verdict != nil { verdictChanges += 1 }
        verdict = nil
        error = reason
        riskyShare = [:]
    }

    /// The `verdict` label's value: check's verdict, or `unknown`.
    public var verdictLabel: String { verdict?.rawValue ?? "unknown" }
    public static let verdictLabels = RuleVerdict.allCases.map(\.rawValue) + ["unknown"]
}
