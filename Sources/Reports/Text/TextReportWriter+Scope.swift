import Conntrack
import Engines
import Policy

/// The text report's sentences about flows from outside the pod networks
/// (`OutsidePodFlows`): a block listing them, and the verdict lines that
/// never call the audit plain clean while they exist.
extension TextReportWriter {
    /// How many there are, their source networks, whether they would
    /// violate, and the first few that would; empty when there are none.
    func outsidePodNetworksLines(_ report: AuditReport) -> [String] {
        let outside = report.summary.outsidePodNetworks
        guard outside.flows > 0 else { return [] }
        let pods = report.policy.podNetworks.map(\.description).joined(separator: ", ")
        let verdict =
            outside.wouldViolate > 0
            ? red("\(outside.wouldViolate) would violate") + " (\(outside.wouldViolateUnreplied) unreplied)"
            : "none would violate"
        var lines = [
            "",
            bold("\(outside.flows) source-NATed flow(s) from outside the pod networks")
                + " (\(pods)), whose replies cross the upstream firewall; not audited as pod flows; \(verdict):",
        ]
        let entries = outside.sources.entries
        let shown = entries.prefix(groupLimit)
        let width = shown.map { $0.network.description.count }.max() ?? 0
        for entry in shown {
            let name = entry.network.description
            lines.append("  " + name + String(repeating: " ", count: width - name.count) + "  " + AuditReport.outsideCounts(entry))
        }
        if entries.count > shown.count {
            lines.append("  … and \(entries.count - shown.count) more network(s) (\(report.hints(.everyRow)) lists all)")
        }
        let coarse = SourceNetworkSummary.limit
        if outside.sources.prefixLength(.ipv4) < 24 || outside.sources.prefixLength(.ipv6) < 64 {
            lines.append(
                "  (more than \(coarse) networks per family: summarized to /\(outside.sources.prefixLength(.ipv4)) and /\(outside.sources.prefixLength(.ipv6)))"
            )
        }
        if !outside.examples.isEmpty {
            lines.append("  e.g.:")
            for example in outside.examples { lines.append("    " + evidence(example)) }
        }
        return lines
    }

    /// The verdict line for `outside-violations`.
    func outsideViolationsVerdict(_ report: AuditReport) -> String {
        let outside = report.summary.outsidePodNetworks
        let audited = report.auditedAnyPodFlow ? "no pod flow violates" : "no pod flow was audited"
        return red("violations outside the pod networks:")
            + " \(audited), but \(outside.wouldViolate) of \(outside.flows) source-NATed flow(s)"
            + " from outside the pod networks get a translated port the upstream firewall drops, so their connections fail as a pod's would;"
            + " if they are pods, \(report.outsidePodNetworksAdvice)"
    }

    /// What `clean-in-scope` adds to the clean sentence.
    func cleanInScopeNote(_ report: AuditReport) -> String {
        "; \(report.summary.outsidePodNetworks.flows) source-NATed flow(s) from outside the pod networks were not audited as pod flows;"
            + " none of them would violate either (\(report.outsideSourcesSummary(limit: 3)))"
    }
}
