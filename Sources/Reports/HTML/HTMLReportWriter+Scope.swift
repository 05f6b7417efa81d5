import Conntrack
import Engines
import Policy

/// The HTML page's parts about flows from outside the pod networks
/// (`OutsidePodFlows`), as the text report tells them.
extension HTMLReportWriter {
    /// The verdict paragraph for `outside-violations` and `clean-in-scope`.
    func outsideVerdict(_ report: AuditReport) -> String {
        let outside = report.summary.outsidePodNetworks
        let verdict = report.verdict
        if verdict == .outsideViolations {
            let audited = report.auditedAnyPodFlow ? "No pod flow violates" : "No pod flow was audited"
            return "<p id=\"verdict\" class=\"verdict bad\" data-verdict=\"\(verdict.rawValue)\">Violations outside the pod networks: "
                + "\(audited), but \(outside.wouldViolate) of \(outside.flows) source-NATed flow(s) from outside the pod networks get a "
                + "translated port the upstream firewall drops, so their connections fail as a pod's would; if they are pods, "
                + HTML.escape(report.outsidePodNetworksAdvice) + ".</p>\n"
        }
        return "<p id=\"verdict\" class=\"verdict warn\" data-verdict=\"\(verdict.rawValue)\">No violations among pod flows: every audited "
            + "source-NATed pod flow uses an allowed port; \(outside.flows) source-NATed flow(s) from outside the pod networks were not "
            + "audited as pod flows, and none of them would violate either.</p>\n"
    }

    /// Their source networks, counts and first examples; empty when there are none.
    func outsidePodNetworksSection(_ report: AuditReport) -> String {
        let outside = report.summary.outsidePodNetworks
        guard outside.flows > 0 else { return "" }
        let pods = report.policy.podNetworks.map(\.description).joined(separator: ", ")
        var out = "<section id=\"outside-pod-networks\"><h2>Source-NATed flows from outside the pod networks</h2>\n"
        out +=
            "<p class=\"legend\">\(outside.flows) flow(s) from sources outside the pod networks (\(HTML.escape(pods))) whose replies "
            + "cross the upstream firewall: not audited as pod flows. \(outside.wouldViolate) would violate "
            + "(\(outside.wouldViolateUnreplied) unreplied). Sources summarized per /\(outside.sources.prefixLength(.ipv4)) (IPv4) "
            + "and /\(outside.sources.prefixLength(.ipv6)) (IPv6).</p>\n"
        out += HTML.table(
            id: "outside-pod-networks-table", header: ["source network", "flows", "would violate"],
            rows: outside.sources.entries.map { [$0.network.description, String($0.flows), String($0.wouldViolate)] },
            numeric: [1, 2])
        if !outside.examples.isEmpty {
            out += HTML.table(
                id: "outside-pod-networks-examples",
                header: [
                    "source", "proto", "original (source → server)", "translated source", "state", "reply", "NAT", "expires", "age",
                    "conntrack reply tuple",
                ],
                rows: outside.examples.map { [$0.podSource.description] + evidenceRow($0) }, numeric: [7, 8])
        }
        return out + "</section>\n"
    }
}
