public import Conntrack
public import Policy

/// One whole audit, in the order that gives every decision its facts: the
/// dump (and BPF maps), then the pods behind the violations, then the node's
/// NAT rules (whether a pod's own port range matters, whether there was
/// anything to audit). What comes back is finished: writers only format it.
public struct AuditRun: Sendable {
    public var auditor: Auditor
    /// The namespace whose table is read (nil: this process's own).
    public var namespace: NetworkNamespace?
    /// Names pods; nil when pods are not named (stats-like callers).
    public var kubernetes: KubernetesAwareness?
    /// Where the pod networks came from, found before the dump.
    public var context: KubernetesContext
    /// The words the report's sentences use to point the reader somewhere.
    public var hints: ReaderHintWording

    public init(
        auditor: Auditor, namespace: NetworkNamespace?, kubernetes: KubernetesAwareness?,
        context: KubernetesContext, hints: ReaderHintWording = .plain
    ) {
        self.auditor = auditor
        self.namespace = namespace
        self.kubernetes = kubernetes
        self.context = context
        self.hints = hints
    }

    public func run() throws -> AuditReport {
        // The NAT rules are read (child processes) while the table is dumped.
        let natRules = NATRulesPrefetch(namespace: namespace)
        var report = try auditor.run(namespace: namespace)
        report.hints = hints
        if let kubernetes {
            kubernetes.annotate(&report, context: context)
        } else {
            report.kubernetes = context
        }
        NodeNATRules.annotate(&report, prefetched: natRules)
        if let findings = report.natRuleFindings { report.portOverlap?.judge(findings) }
        return report
    }
}
