import Engines

extension CheckTextWriter {
    /// One block per BPF dataplane found, like a NAT rule's.
    func dataplaneLines(_ report: CheckReport) -> [String] {
        var lines: [String] = []
        for finding in report.dataplanes {
            lines.append(paint(finding.verdict) + "  " + bold("\(finding.dataplane) BPF dataplane"))
            lines.append("    detected: " + finding.detectedBy.joined(separator: "; "))
            lines.append("    ports \(finding.ports) (\(finding.portsFrom))")
            lines.append("    " + finding.explanation)
            lines.append("")
        }
        return lines
    }
}
