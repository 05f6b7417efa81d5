public import Conntrack
public import NodeState
public import Policy

/// Everything one audit found, ready for a report writer.
public struct AuditReport: Sendable {
    /// The audit JSON report's schema id (merge reads only this one).
    public static let jsonSchema = "ctaudit.audit/v1"

    public var host: String
    /// The namespace that was read, as the user named it; nil for the caller's own.
    public var netns: String?
    /// RFC 3339 UTC time the audit started.
    public var generatedAt: String
    public var policy: AuditPolicy
    public var summary: AuditSummary
    /// Worst first, packed (`ViolationList`).
    public var violations: ViolationList
    /// Flows whose peer is on this node, when they were listed (`--node-local`);
    /// `summary.nodeLocal` counts them either way.
    public var nodeLocalFlows = ViolationList()
    /// Whether `nodeLocalFlows` holds them all (`--node-local`), not just nothing.
    public var listsNodeLocal = false
    /// Source-NAT rules seen in the audited namespace: nil when not read.
    /// With `summary` it tells "nothing to audit here" from "clean".
    public var natRulesSeen: Int?
    /// What the source-NAT rules are written with, when they were read.
    public var natRuleTools: String?
    /// Why the NAT rules could not be read, when they were needed.
    public var natRulesError: String?
    /// The source-NAT rules as `check` judges them, when they were read:
    /// the fix is built from them (`NodeRemedies`).
    public var natRuleFindings: [RuleFinding]?
    public var dump: DumpResult
    public var tableSize: TableSize?
    /// Translated ports of all audited flows, when the auditor kept them (HTML chart).
    public var translatedPorts: PortHistogram?
    /// Seconds the audit took, when measured (Prometheus).
    public var durationSeconds: Double?
    /// Where the pod networks came from, pods whose port range is a cause,
    /// and what could not be read on the node (docs/KUBERNETES.md).
    public var kubernetes = KubernetesContext()
    /// Violations by the firewall rule that drops them, counted during the
    /// audit (`--firewall`); nil: counted from `violations` when asked.
    public var firewallDropTally: FirewallDropTally?
    /// Uncertain flows by the rule ctaudit cannot judge that decides them.
    public var firewallUncertainTally: FirewallDropTally?
    /// Flows a firewall rule ctaudit cannot judge decides (`--firewall`), worst first.
    public var uncertainFlows = ViolationList()
    /// Which dataplanes were read (conntrack, BPF NAT maps) and which BPF
    /// maps were present but unreadable (docs/DATAPLANES.md).
    public var dataplanes = DataplaneSurvey()
    /// Flows (and NAT rules, when read) translated onto the NodePort range
    /// or a listening socket's port: its own finding, not a violation; nil
    /// when not looked for.
    public var portOverlap: PortOverlap?
    /// How the report's sentences name what the reader can give or do next
    /// (pod networks, every row): the caller's words; the CLI names its flags.
    public var hints = ReaderHintWording.plain

    public init(
        host: String, netns: String?, generatedAt: String, policy: AuditPolicy,
        summary: AuditSummary, violations: ViolationList, dump: DumpResult, tableSize: TableSize?,
        translatedPorts: PortHistogram? = nil, durationSeconds: Double? = nil
    ) {
        self.translatedPorts = translatedPorts
        self.durationSeconds = durationSeconds
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

    /// The fixes, from the one remedy engine `check` and `watch` use too.
    public var remedies: [Remedy] { NodeRemedies(audit: self).remedies }

    /// The fixes as reports print them.
    public var remedyAdvice: RemedyAdvice { RemedyAdvice(remedies, ruleTools: natRuleTools) }

    /// What the audit concluded, in one word every format shares.
    public var verdict: AuditVerdict { AuditVerdict.of(self) }
}
