import NodeState

extension Remedy {
    /// The configuration change for each BPF dataplane with violations: an
    /// iptables rule cannot move ports that a tc BPF program picks.
    static func dataplaneRemedies(_ report: AuditReport) -> [Remedy] {
        let counts = report.summary.dataplanes
        // The audit does not read the clusters' configuration: the change is
        // phrased from the upstream defaults, and `check` with the exported
        // configuration prints it for the real one.
        let check = DataplaneCheck(allowed: report.policy.allowed, bpffs: nil, config: DataplaneConfig())
        var remedies: [Remedy] = []
        if let cilium = counts[.cilium]?.violations, cilium > 0 {
            let finding = check.ciliumFinding(detectedBy: [])
            remedies.append(
                Remedy(
                    kind: .ciliumNodePortRange,
                    summary:
                        "Cilium BPF masquerading gave \(cilium) flow(s) ports outside \(report.policy.allowed): it masquerades into NodePort max + 1 to 65535; "
                        + (finding.fix ?? "set its NodePort range to end right below the lowest allowed port")
                        + " (\(report.hints.quoted(.dataplaneCheck(.cilium))) prints the change for your configuration)",
                    commands: finding.fixCommands))
        }
        if let calico = counts[.calico]?.violations, calico > 0 {
            let finding = check.calicoFinding(detectedBy: [])
            remedies.append(
                Remedy(
                    kind: .calicoPSNATPorts,
                    summary:
                        "Calico's eBPF dataplane moved \(calico) host connection(s) to source ports outside \(report.policy.allowed) (BPFPSNATPorts); "
                        + (finding.fix ?? "set BPFPSNATPorts inside the allowed ports")
                        + " (\(report.hints.quoted(.dataplaneCheck(.calico))) prints the change for your configuration)",
                    commands: finding.fixCommands))
        }
        return remedies
    }
}
