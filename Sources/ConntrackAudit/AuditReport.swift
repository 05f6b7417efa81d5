public import Conntrack

/// Everything one audit found, ready for a report writer.
public struct AuditReport: Sendable {
    public var host: String
    /// The namespace that was read, as the user named it; nil for the caller's own.
    public var netns: String?
    /// RFC 3339 UTC time the audit started.
    public var generatedAt: String
    public var policy: AuditPolicy
    public var summary: AuditSummary
    /// Worst first.
    public var violations: [Violation]
    public var dump: DumpResult
    public var tableSize: TableSize?

    public init(
        host: String, netns: String?, generatedAt: String, policy: AuditPolicy,
        summary: AuditSummary, violations: [Violation], dump: DumpResult, tableSize: TableSize?
    ) {
        self.host = host
        self.netns = netns
        self.generatedAt = generatedAt
        self.policy = policy
        self.summary = summary
        self.violations = violations
        self.dump = dump
        self.tableSize = tableSize
    }

    public var offenders: [OffenderGroup] { OffenderGroup.group(violations) }

    public var remedies: [Remedy] { Remedy.advise(for: self) }
}
