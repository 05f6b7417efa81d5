import NodeState
public import Policy

extension AuditSummary {
    /// One dataplane's counts. Conntrack's are the totals minus every BPF
    /// dataplane's, so they stay true for summaries built or merged elsewhere.
    public func counts(for plane: Dataplane) -> DataplaneCounts {
        guard plane == .conntrack else { return dataplanes[plane] ?? DataplaneCounts() }
        var counts = DataplaneCounts()
        let bpf = dataplanes.filter { $0.key != .conntrack }.values
        counts.flows = flows
        counts.snat = snat - bpf.reduce(0) { $0 + $1.snat }
        counts.remapped = remapped - bpf.reduce(0) { $0 + $1.remapped }
        counts.violations = violations - bpf.reduce(0) { $0 + $1.violations }
        return counts
    }

    mutating func countBPF(_ plane: Dataplane, _ change: (inout DataplaneCounts) -> Void) {
        guard plane != .conntrack else { return }
        change(&dataplanes[plane, default: DataplaneCounts()])
    }
}
