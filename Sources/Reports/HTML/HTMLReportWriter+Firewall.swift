import Engines
import Policy

extension HTMLReportWriter {
    /// The verdict paragraph when a `--firewall` file judged the flows.
    static func firewallVerdict(_ report: AuditReport, _ firewall: FirewallPolicy) -> String {
        let summary = report.summary
        var out: String
        if summary.violations > 0 {
            out =
                "<p id=\"verdict\" class=\"verdict bad\">\(summary.violations) violation(s): "
                + "\(summary.violationsUnreplied) never got a reply. The upstream firewall's rules drop their replies.</p>\n"
        } else if summary.uncertain > 0 {
            out =
                "<p id=\"verdict\" class=\"verdict warn\" data-verdict=\"uncertain\">Uncertain: no violation, but a firewall rule ctaudit "
                + "cannot judge decides the replies of \(summary.uncertain) flow(s) (\(summary.uncertainUnreplied) unreplied): neither violations nor clean.</p>\n"
        } else if firewall.isStateful {
            out =
                "<p id=\"verdict\" class=\"verdict good\">No violations: "
                + HTML.escape(firewall.sources.compactMap(\.statefulReason).joined(separator: "; ")) + ".</p>\n"
        } else {
            out =
                "<p id=\"verdict\" class=\"verdict good\">No violations: the firewall's rules admit the replies of every audited source-NATed flow.</p>\n"
        }
        var lines =
            firewall.isStateful
            ? [] : ["replies admitted to: " + firewall.admittedSummary(nodes: report.policy.nodeAddresses).joined(separator: "; ")]
        for source in firewall.sources { lines += source.notes.map { "\(source.path): \($0)" } }
        for line in lines { out += "<p class=\"note\">\(HTML.escape(line))</p>\n" }
        return out
    }

    /// Which rule drops which flows, and which rules ctaudit cannot judge decide others.
    static func firewallDropsSection(_ report: AuditReport) -> String {
        table(report.firewallDrops, section: "firewall-drops", title: "Dropped by", id: "firewall-drop-table")
            + table(
                report.firewallUncertain, section: "firewall-uncertain",
                title: "Uncertain: decided by rules ctaudit cannot judge", id: "firewall-uncertain-table")
    }

    private static func table(_ drops: [FirewallDrop], section: String, title: String, id: String) -> String {
        guard !drops.isEmpty else { return "" }
        return "<section id=\"\(section)\"><h2>\(HTML.escape(title))</h2>\n"
            + HTML.table(
                id: id,
                header: ["rule", "file", "proto", "family", "flows", "unreplied", "translated ports"],
                rows: drops.map { drop in
                    [
                        drop.decidedBy, drop.origin ?? "", drop.proto.name, drop.family.description, String(drop.flows),
                        String(drop.unreplied),
                        drop.lowestPort == drop.highestPort ? "\(drop.lowestPort)" : "\(drop.lowestPort)-\(drop.highestPort)",
                    ]
                },
                numeric: [4, 5]) + "</section>\n"
    }
}
