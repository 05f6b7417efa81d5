/// A node's verdict as `merge` reads its report, and the fleet's: the worst
/// of its nodes. It starts from the node's own audit verdict (`AuditVerdict`)
/// and is never cleaner than what the report shows: a node that counted no
/// violation but could not read a BPF NAT map, or whose dump the kernel
/// flagged as interrupted, is `incomplete`; one whose report has no verdict
/// (an older ctaudit) is `unknown`.
///
/// Cases are listed worst first. After the three that fail a connection now,
/// the ones where something was not judged: a report that does not say
/// (it may hide pods blocked), a node seen only in part (its unread map may
/// hold violations), a node where nothing could be judged at all, a node
/// clean in what it audited but with source-NATed flows outside its pod networks.
public enum MergedVerdict: String, Hashable, Sendable, CaseIterable {
    case violations
    case podsBlocked = "pods-blocked"
    case outsideViolations = "outside-violations"
    /// A firewall rule the node's audit could not judge decides some flows.
    case uncertain
    case unknown
    case incomplete
    case nothingToAudit = "nothing-to-audit"
    case cleanInScope = "clean-in-scope"
    case clean

    /// Exit status 1 for these, as for `audit`.
    public var isFailure: Bool { self == .violations || self == .podsBlocked || self == .outsideViolations }

    /// One node's: `reported` is its report's `verdict` (nil when absent).
    static func of(
        reported: String?, violations: Int, outsideWouldViolate: Int = 0, uncertain: Int = 0, incomplete: Bool
    ) -> MergedVerdict {
        if violations > 0 { return .violations }
        // A report that counts uncertain flows is never clean, whatever word it carries.
        if uncertain > 0, reported != AuditVerdict.podsBlocked.rawValue, reported != AuditVerdict.outsideViolations.rawValue,
            outsideWouldViolate == 0
        {
            return .uncertain
        }
        switch reported.flatMap(AuditVerdict.init(rawValue:)) {
        case .violations?: return .violations
        case .podsBlocked?: return .podsBlocked
        case .outsideViolations?: return .outsideViolations
        case .uncertain?: return .uncertain
        case nil: return outsideWouldViolate > 0 ? .outsideViolations : .unknown
        case .nothingToAudit?: return incomplete ? .incomplete : .nothingToAudit
        case .cleanInScope?: return incomplete ? .incomplete : .cleanInScope
        case .clean?: return incomplete ? .incomplete : .clean
        }
    }

    /// 0 for the worst.
    var rank: Int { Self.allCases.firstIndex(of: self)! }

    /// The worst of `verdicts`; with none, nothing was audited.
    static func worst(_ verdicts: some Sequence<MergedVerdict>) -> MergedVerdict {
        verdicts.min { $0.rank < $1.rank } ?? .nothingToAudit
    }
}
