public import Engines
import NodeState
public import Policy

/// Writes a merged fleet report as text for a person or as
/// `ctaudit.merge/v1` JSON for a dashboard or ticket bot.
public enum MergedReportWriter {
    public static let schema = "ctaudit.merge/v1"

    public static func text(_ merged: MergedReport, top: Int, hints: ReaderHintWording = .plain) -> String {
        var lines: [String] = []
        lines.append("ctaudit merge: \(merged.nodes.count) node report(s), \(merged.affectedNodes) with violations")
        lines.append("verdict: \(merged.verdict.rawValue)")
        lines.append(
            "flows \(merged.totalFlows)   snat \(merged.totalSNAT)   remapped \(merged.totalRemapped)   "
                + "node-local \(merged.totalNodeLocal)   violations \(merged.totalViolations) (\(merged.totalUnreplied) unreplied)"
                + (merged.totalOutside > 0
                    ? "   outside pod networks \(merged.totalOutside) (\(merged.totalOutsideWouldViolate) would violate)" : ""))
        let planes = merged.dataplaneTotals
        if planes.contains(where: { $0.dataplane != Dataplane.conntrack.rawValue }) {
            lines.append(
                "dataplanes: "
                    + planes.map { plane in
                        "\(plane.dataplane) on \(plane.nodes) node(s): snat \(plane.snat), violations \(plane.violations)"
                    }.joined(separator: "; "))
        }
        lines.append("allowed translated source ports: " + merged.allowedSets.joined(separator: " | "))
        if merged.allowedSets.count > 1 {
            lines.append("note: the reports were audited against different allowed ranges; compare with care")
        }
        if !merged.superseded.isEmpty {
            lines.append(
                "note: \(merged.superseded.count) older report(s) of the same node ignored: "
                    + merged.superseded.joined(separator: ", "))
        }
        // The node's own warnings already name each map it could not read.
        for node in merged.nodes {
            lines += node.warnings.map { "warning: \(node.name): \($0)" }
            if node.dumpInterrupted == true {
                lines.append(
                    "warning: \(node.name): the kernel flagged its dump as interrupted (NLM_F_DUMP_INTR): entries may be missing; audit it again"
                )
            }
        }
        section(
            "PER NODE", into: &lines,
            header: [
                "NODE", "VERDICT", "GENERATED", "FLOWS", "SNAT", "REMAPPED", "NODE-LOCAL", "VIOLATIONS", "UNREPLIED",
                "DATAPLANES", "ALLOWED",
            ],
            rows: merged.nodes, rightAligned: [3, 4, 5, 6, 7, 8]
        ) { node in
            [
                node.name, node.verdict.rawValue, node.generatedAt, String(node.flows), String(node.snat), String(node.remapped),
                node.nodeLocal.map(String.init) ?? "-", String(node.violations), String(node.unreplied),
                node.dataplanes.map { $0.map(\.dataplane).joined(separator: ",") } ?? "-", node.allowed,
            ]
        }
        let caveats = caveatLines(merged)
        if !caveats.isEmpty {
            lines.append("")
            lines += caveats
        }
        guard merged.totalViolations > 0 else {
            if merged.verdict == .clean {
                lines.append("")
                lines.append("no violations on any node")
            }
            return lines.joined(separator: "\n") + "\n"
        }
        section(
            "PER DESTINATION", into: &lines,
            header: ["DESTINATION", "PROTO", "VIOLATIONS", "UNREPLIED", "NODES", "PODS"],
            rows: merged.destinations, top: top, more: "destinations", rightAligned: [2, 3, 4, 5]
        ) { destination in
            [
                TerminalText.endpoint(destination.address, destination.port), destination.proto, String(destination.violations),
                String(destination.unreplied), String(destination.nodes.count), String(destination.pods.count),
            ]
        }
        section(
            "WORST OFFENDERS", into: &lines,
            header: ["NODE", "POD", "DESTINATION", "PROTO", "VIOLATIONS", "UNREPLIED", "TRANSLATED PORTS"],
            rows: merged.offenders, top: top, more: "offenders (\(hints(.moreRows)))", rightAligned: [4, 5]
        ) { offender in
            [
                offender.host, offender.podName.map { "\(offender.pod) \($0)" } ?? offender.pod,
                TerminalText.endpoint(offender.address, offender.port), offender.proto,
                String(offender.violations), String(offender.unreplied), ports(offender.translatedPorts),
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// What keeps the fleet from being clean besides violations, one line
    /// per kind of node, worst first: the nodes named, what was not judged.
    static func caveatLines(_ merged: MergedReport) -> [String] {
        MergedVerdict.allCases.compactMap { verdict -> String? in
            let names = merged.nodeNames(verdict)
            guard !names.isEmpty else { return nil }
            let nodes = names.joined(separator: ", ")
            switch verdict {
            case .violations, .clean:
                return nil
            case .outsideViolations:
                return
                    "violations outside the pod networks on \(nodes): no pod flow violates, but source-NATed flows from outside the node's pod networks would (below): if they are pods, the node's pod networks are wrong or missing"
            case .cleanInScope:
                return
                    "clean in scope on \(nodes): every audited pod flow is clean, but source-NATed flows from outside the node's pod networks were not audited as pod flows (below; none would violate)"
            case .podsBlocked:
                return
                    "pods blocked on \(nodes): no violation in the table now, but pods there have every port of their own port range outside the allowed ports and a NAT rule keeps them: each of their connections through it fails (see the node's report for the fix)"
            case .uncertain:
                return
                    "uncertain on \(nodes): no violation, but a firewall rule the audit could not judge decides some flows' replies there: neither violations nor clean (the node's report names the rule)"
            case .unknown:
                return
                    "verdict unknown for \(nodes): the report has no verdict (written by an older ctaudit) and counts no violation; audit the node again to tell clean from pods blocked or nothing to audit"
            case .incomplete:
                return
                    "incomplete on \(nodes): no violations in what was read, but part of the node was not (see the warnings: a BPF NAT map not read, or an interrupted dump): what was missed is not audited"
            case .nothingToAudit:
                return
                    "nothing to audit on \(nodes): no pod flow there was judged (no source-NAT rule and no source-NATed flow in the audited namespace, or only flows from outside its pod networks, below); audit where that node's NAT happens (usually its host namespace), with its pod networks"
            }
        } + outsideLines(merged)
    }

    /// One line per node with source-NATed flows from outside its pod
    /// networks: how many, how many would violate, the largest networks.
    static func outsideLines(_ merged: MergedReport) -> [String] {
        merged.nodes.compactMap { node -> String? in
            guard let outside = node.outside, outside.flows > 0 else { return nil }
            let sources =
                outside.sources.prefix(3).map { source in
                    "\(source.network): \(source.flows) flow(s), "
                        + (source.wouldViolate > 0 ? "\(source.wouldViolate) would violate" : "none would violate")
                } + (outside.sources.count > 3 ? ["\(outside.sources.count - 3) more network(s)"] : [])
            return "outside the pod networks on \(node.name): \(outside.flows) source-NATed flow(s), "
                + (outside.wouldViolate > 0 ? "\(outside.wouldViolate) would violate" : "none would violate")
                + (sources.isEmpty ? "" : " (\(sources.joined(separator: "; ")))")
        }
    }

    /// A blank line, the title, the table of the first `top` rows, and how
    /// many more there are (`… and 3 more destinations`).
    private static func section<Row>(
        _ title: String, into lines: inout [String], header: [String], rows: [Row],
        top: Int = .max, more: String = "", rightAligned: Set<Int>,
        cells: (Row) -> [String]
    ) {
        lines.append("")
        lines.append(title)
        lines += TerminalText.table(header: header, rows: rows.prefix(top).map(cells), rightAligned: rightAligned)
        if rows.count > top { lines.append("… and \(rows.count - top) more \(more)") }
    }

    public static func json(_ merged: MergedReport, top: Int) -> String {
        JSONWriter.text(.pretty) { json in
            encode(merged, top: top, into: &json)
            json.newline()
        }
    }

    public static func encode(_ merged: MergedReport, top: Int, into json: inout JSONWriter) {
        json.beginObject()
        json.member("schema", schema)
        json.member("reports", merged.nodes.count)
        json.member("superseded", merged.superseded)
        json.member("verdict", merged.verdict.rawValue)
        json.member("allowed", merged.allowedSets)
        json.object("summary") { json in
            json.member("nodes", merged.nodes.count)
            json.member("nodes_with_violations", merged.affectedNodes)
            json.member("flows", merged.totalFlows)
            json.member("snat", merged.totalSNAT)
            json.member("remapped", merged.totalRemapped)
            json.member("violations", merged.totalViolations)
            json.member("violations_unreplied", merged.totalUnreplied)
            json.member("node_local", merged.totalNodeLocal)
            json.member("outside_pod_networks", merged.totalOutside)
            json.member("outside_pod_networks_would_violate", merged.totalOutsideWouldViolate)
        }
        json.object("dataplanes") { json in
            for plane in merged.dataplaneTotals {
                json.key(plane.dataplane)
                encode(plane, into: &json, nodes: true)
            }
        }
        json.array("nodes", merged.nodes) { encode($1, into: &$0) }
        json.array("destinations", merged.destinations.prefix(top)) { encode($1, into: &$0) }
        json.array("offenders", merged.offenders.prefix(top)) { encode($1, into: &$0) }
        json.endObject()
    }

    static func encode(_ node: MergedReport.Node, into json: inout JSONWriter) {
        json.beginObject()
        json.member("host", node.host)
        json.member("netns", node.netns)
        json.member("generated_at", node.generatedAt)
        json.member("file", node.file)
        json.member("allowed", node.allowed)
        json.member("flows", node.flows)
        json.member("snat", node.snat)
        json.member("remapped", node.remapped)
        json.member("violations", node.violations)
        json.member("violations_unreplied", node.unreplied)
        json.member("verdict", node.verdict.rawValue)
        json.member("reported_verdict", node.reportedVerdict)
        json.member("node_local", node.nodeLocal)
        if let uncertain = node.uncertain { json.member("uncertain", uncertain) }
        json.key("dump_interrupted")
        if let interrupted = node.dumpInterrupted { json.bool(interrupted) } else { json.null() }
        json.member("pods_blocked", node.podsBlocked)
        json.key("outside_pod_networks")
        if let outside = node.outside {
            json.beginObject()
            json.member("flows", outside.flows)
            json.member("would_violate", outside.wouldViolate)
            json.array("sources", outside.sources) { json, source in
                json.beginObject()
                json.member("network", source.network)
                json.member("flows", source.flows)
                json.member("would_violate", source.wouldViolate)
                json.endObject()
            }
            json.endObject()
        } else {
            json.null()
        }
        json.key("dataplanes")
        if let planes = node.dataplanes {
            json.beginObject()
            json.member("read", planes.map(\.dataplane))
            json.object("counts") { json in
                for plane in planes {
                    json.key(plane.dataplane)
                    encode(plane, into: &json)
                }
            }
            json.member("unread_maps", node.unreadMaps)
            json.member("warnings", node.warnings)
            json.endObject()
        } else {
            json.null()
        }
        json.endObject()
    }

    /// Its counts; `nodes` only in the fleet's totals.
    static func encode(_ plane: MergedReport.DataplaneCounts, into json: inout JSONWriter, nodes: Bool = false) {
        json.beginObject()
        if nodes { json.member("nodes", plane.nodes) }
        json.member("flows", plane.flows)
        json.member("snat", plane.snat)
        json.member("remapped", plane.remapped)
        json.member("violations", plane.violations)
        json.endObject()
    }

    static func encode(_ destination: MergedReport.Destination, into json: inout JSONWriter) {
        json.beginObject()
        json.member("dst", destination.address)
        json.member("dport", destination.port)
        json.member("proto", destination.proto)
        json.member("violations", destination.violations)
        json.member("unreplied", destination.unreplied)
        json.member("nodes", destination.nodes.count)
        json.member("pods", destination.pods.count)
        json.endObject()
    }

    static func encode(_ offender: MergedReport.Offender, into json: inout JSONWriter) {
        json.beginObject()
        json.member("node", offender.host)
        json.member("pod", offender.pod)
        json.member("pod_name", offender.podName)
        json.member("dst", offender.address)
        json.member("dport", offender.port)
        json.member("proto", offender.proto)
        json.member("violations", offender.violations)
        json.member("unreplied", offender.unreplied)
        json.array("translated_ports", offender.translatedPorts.sorted()) { $0.int($1) }
        json.endObject()
    }

    private static func ports(_ ports: Set<Int>) -> String {
        let sorted = ports.sorted()
        return sorted.prefix(8).map(String.init).joined(separator: ",") + (sorted.count > 8 ? ",…" : "")
    }
}
