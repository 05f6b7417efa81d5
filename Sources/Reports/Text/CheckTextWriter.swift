public import Engines
import NodeState
public import Policy

/// Writes a check for a person: what was read, each NAT rule with its
/// verdict and why, the overall verdict, and what to change.
public struct CheckTextWriter: Sendable, TerminalStyled {
    public var color: Bool
    /// How pod networks are given: the caller's words.
    public var hints = ReaderHintWording.plain

    public init(color: Bool = false) { self.color = color }

    public func render(_ report: CheckReport) -> String {
        var lines: [String] = []
        let scope = report.netns.map { "netns \($0)" } ?? (report.inputs.allSatisfy { $0.hasPrefix("file ") } ? "offline" : "netns (own)")
        lines.append(bold("ctaudit check") + " host \(report.host), \(scope), \(report.generatedAt)")
        lines.append("allowed translated source ports: \(report.allowedWords)")
        lines.append("read: " + (report.inputs.isEmpty ? "nothing" : report.inputs.joined(separator: "; ")))
        for source in report.sources {
            lines.append("source ports \(source.range.low)-\(source.range.high): " + users(source))
        }
        if let node = report.nodePortRange {
            lines.append("node ip_local_port_range: \(node.low)-\(node.high) (host-network traffic)")
        }
        let kernel = report.kernelRelease.map { "kernel \($0)" } ?? "kernel not read (offline): Linux >= 6.2 assumed"
        lines.append("\(kernel): remaps draw a \(report.remapOffsetBits)-bit random offset")
        for note in report.notes { lines.append(yellow("note: ") + note) }
        lines.append("")

        let findings = report.findings
        if findings.isEmpty {
            lines.append("no SNAT/MASQUERADE rule reachable from postrouting: pod traffic is not source-NATed by these rules")
        }
        for finding in findings {
            let label = finding.inScope ? paint(finding.verdict) : "OUT OF SCOPE"
            lines.append(label + "  " + bold(finding.rule.location))
            lines.append("    " + finding.rule.text)
            var facts = "    \(finding.rule.action.name), \(finding.rule.ports.description); protocols: \(finding.effectiveProtocols)"
            if !finding.rule.protocols.canCarryPortRange && finding.rule.ports.range == nil {
                facts += " (no protocol match: cannot carry a port range)"
            }
            lines.append(facts)
            if !finding.inScope {
                lines.append("    source \(finding.rule.source ?? "?") is not a pod network (\(hints(.podNetworks)))")
                continue
            }
            lines.append("    " + finding.reason)
            for prediction in finding.predictions where finding.predictions.count > 1 || prediction.verdict != .safe {
                let source = prediction.source.range
                let applies = prediction.appliesTo.isEmpty ? "" : prediction.appliesTo.joined(separator: ", ") + " "
                let peers = prediction.peers.map { "(replies from \($0)) " } ?? ""
                lines.append(
                    "      \(applies)\(peers)from \(source.low)-\(source.high): \(prediction.verdict.label.lowercased()), "
                        + "\(Percent(prediction.shareOutsideWithoutClash)) of all flows outside, "
                        + "\(Percent(prediction.shareOfRemappedOutside)) of remapped flows outside, "
                        + "possible ports \(prediction.possiblePorts)")
            }
            lines.append("")
        }
        lines.append(contentsOf: dataplaneLines(report))
        if let overlap = report.portOverlap, overlap.hasFindings {
            lines.append(contentsOf: PortOverlapText.lines(overlap, yellow: yellow).dropFirst())
            lines.append("")
        }
        let verdict = report.verdict
        lines.append(bold("verdict: ") + paint(verdict) + " — " + summary(report))
        lines.append(contentsOf: TextReportWriter.remedyLines(report.remedyAdvice, bold: bold))
        return lines.joined(separator: "\n") + "\n"
    }

    private func summary(_ report: CheckReport) -> String {
        let scoped = report.findings.filter(\.inScope)
        let counts = RuleVerdict.allCases.reversed().compactMap { verdict -> String? in
            let count = scoped.filter { $0.verdict == verdict }.count
            return count > 0 ? "\(count) \(verdict.label.lowercased())" : nil
        }
        var rules = scoped.isEmpty ? "no NAT rule pod traffic reaches" : "\(scoped.count) NAT rule(s): " + counts.joined(separator: ", ")
        if !report.dataplanes.isEmpty {
            rules +=
                "; BPF dataplane(s): "
                + report.dataplanes.map { "\($0.dataplane) \($0.verdict.label.lowercased())" }.joined(separator: ", ")
        }
        switch report.verdict {
        case .safe: return rules + "; no translated source port can fall outside \(report.allowedWords)"
        case .uncertain:
            return rules + "; no translated port is known to be dropped, but a firewall rule ctaudit cannot judge decides some (see above)"
        case .atRisk: return rules + "; connections that clash can get ports outside \(report.allowedWords) and time out"
        case .broken: return rules + "; connections will get ports outside \(report.allowedWords) and time out"
        }
    }

    private func users(_ source: PortSource) -> String {
        let shown = source.users.prefix(6).joined(separator: ", ")
        return source.users.count > 6 ? shown + ", … (\(source.users.count) namespaces)" : shown
    }

    func paint(_ verdict: RuleVerdict) -> String {
        let text = verdict.label.padding(7)
        switch verdict {
        case .safe: return paint(text, "32")
        case .uncertain: return paint(text, "33")
        case .atRisk: return paint(text, "33")
        case .broken: return paint(text, "1;31")
        }
    }

}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
