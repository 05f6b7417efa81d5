/// Writes a merged fleet report as text for a person or as
/// `ctaudit.merge/v1` JSON for a dashboard or ticket bot.
public enum MergedReportWriter {
    public static let schema = "ctaudit.merge/v1"

    public static func text(_ merged: MergedReport, top: Int, hints: ReaderHintWording = .plain) -> String {
        var lines: [String] = []
        lines.append("ctaudit merge: \(merged.nodes.count) node report(s), \(merged.affectedNodes) with violations")
        lines.append("flows \(merged.totalFlows)   snat \(merged.totalSNAT)   remapped \(merged.totalRemapped)   "
            + "violations \(merged.totalViolations) (\(merged.totalUnreplied) unreplied)")
        lines.append("allowed translated source ports: " + merged.allowedSets.joined(separator: " | "))
        if merged.allowedSets.count > 1 {
            lines.append("note: the reports were audited against different allowed ranges; compare with care")
        }
        if !merged.superseded.isEmpty {
            lines.append("note: \(merged.superseded.count) older report(s) of the same node ignored: "
                + merged.superseded.joined(separator: ", "))
        }
        lines.append("")
        lines.append("PER NODE")
        lines += table(
            ["NODE", "GENERATED", "FLOWS", "SNAT", "REMAPPED", "VIOLATIONS", "UNREPLIED", "ALLOWED"],
            merged.nodes.map { node in
                [node.netns.map { "\(node.host)/\($0)" } ?? node.host, node.generatedAt, String(node.flows), String(node.snat),
                 String(node.remapped), String(node.violations), String(node.unreplied), node.allowed]
            },
            numeric: [2, 3, 4, 5, 6])
        guard merged.totalViolations > 0 else {
            lines.append("")
            lines.append("no violations on any node")
            return lines.joined(separator: "\n") + "\n"
        }
        lines.append("")
        lines.append("PER DESTINATION")
        lines += table(
            ["DESTINATION", "PROTO", "VIOLATIONS", "UNREPLIED", "NODES", "PODS"],
            merged.destinations.prefix(top).map { destination in
                [endpoint(destination.address, destination.port), destination.proto, String(destination.violations),
                 String(destination.unreplied), String(destination.nodes.count), String(destination.pods.count)]
            },
            numeric: [2, 3, 4, 5])
        if merged.destinations.count > top { lines.append("… and \(merged.destinations.count - top) more destinations") }
        lines.append("")
        lines.append("WORST OFFENDERS")
        lines += table(
            ["NODE", "POD", "DESTINATION", "PROTO", "VIOLATIONS", "UNREPLIED", "TRANSLATED PORTS"],
            merged.offenders.prefix(top).map { offender in
                [offender.host, offender.podName.map { "\(offender.pod) \($0)" } ?? offender.pod,
                 endpoint(offender.address, offender.port), offender.proto,
                 String(offender.violations), String(offender.unreplied), ports(offender.translatedPorts)]
            },
            numeric: [4, 5])
        if merged.offenders.count > top { lines.append("… and \(merged.offenders.count - top) more offenders (\(hints(.moreRows)))") }
        return lines.joined(separator: "\n") + "\n"
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
        json.member("allowed", merged.allowedSets)
        json.object("summary") { json in
            json.member("nodes", merged.nodes.count)
            json.member("nodes_with_violations", merged.affectedNodes)
            json.member("flows", merged.totalFlows)
            json.member("snat", merged.totalSNAT)
            json.member("remapped", merged.totalRemapped)
            json.member("violations", merged.totalViolations)
            json.member("violations_unreplied", merged.totalUnreplied)
        }
        json.array("nodes", merged.nodes) { json, node in
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
            json.endObject()
        }
        json.array("destinations", merged.destinations.prefix(top)) { json, destination in
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
        json.array("offenders", merged.offenders.prefix(top)) { json, offender in
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
        json.endObject()
    }

    private static func endpoint(_ address: String, _ port: Int?) -> String { TerminalText.endpoint(address, port) }

    private static func ports(_ ports: Set<Int>) -> String {
        let sorted = ports.sorted()
        return sorted.prefix(8).map(String.init).joined(separator: ",") + (sorted.count > 8 ? ",…" : "")
    }

    private static func table(_ header: [String], _ rows: [[String]], numeric: Set<Int>) -> [String] {
        TerminalText.table(header: header, rows: rows, rightAligned: numeric)
    }
}
