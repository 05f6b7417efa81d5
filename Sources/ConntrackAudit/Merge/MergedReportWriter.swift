/// Writes a merged fleet report as text for a person or as
/// `ctaudit.merge/v1` JSON for a dashboard or ticket bot.
public enum MergedReportWriter {
    public static let schema = "ctaudit.merge/v1"

    public static func text(_ merged: MergedReport, top: Int) -> String {
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
        if merged.offenders.count > top { lines.append("… and \(merged.offenders.count - top) more offenders (--top N)") }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func json(_ merged: MergedReport, top: Int) -> String {
        let document: JSONValue = .object([
            ("schema", .string(schema)),
            ("reports", .int(merged.nodes.count)),
            ("superseded", .array(merged.superseded.map(JSONValue.string))),
            ("allowed", .array(merged.allowedSets.map(JSONValue.string))),
            ("summary", .object([
                ("nodes", .int(merged.nodes.count)),
                ("nodes_with_violations", .int(merged.affectedNodes)),
                ("flows", .int(merged.totalFlows)),
                ("snat", .int(merged.totalSNAT)),
                ("remapped", .int(merged.totalRemapped)),
                ("violations", .int(merged.totalViolations)),
                ("violations_unreplied", .int(merged.totalUnreplied)),
            ])),
            ("nodes", .array(merged.nodes.map { node in
                .object([
                    ("host", .string(node.host)),
                    ("netns", node.netns.map(JSONValue.string) ?? .null),
                    ("generated_at", .string(node.generatedAt)),
                    ("file", .string(node.file)),
                    ("allowed", .string(node.allowed)),
                    ("flows", .int(node.flows)),
                    ("snat", .int(node.snat)),
                    ("remapped", .int(node.remapped)),
                    ("violations", .int(node.violations)),
                    ("violations_unreplied", .int(node.unreplied)),
                ])
            })),
            ("destinations", .array(merged.destinations.prefix(top).map { destination in
                .object([
                    ("dst", .string(destination.address)),
                    ("dport", destination.port.map(JSONValue.int) ?? .null),
                    ("proto", .string(destination.proto)),
                    ("violations", .int(destination.violations)),
                    ("unreplied", .int(destination.unreplied)),
                    ("nodes", .int(destination.nodes.count)),
                    ("pods", .int(destination.pods.count)),
                ])
            })),
            ("offenders", .array(merged.offenders.prefix(top).map { offender in
                .object([
                    ("node", .string(offender.host)),
                    ("pod", .string(offender.pod)),
                    ("pod_name", offender.podName.map(JSONValue.string) ?? .null),
                    ("dst", .string(offender.address)),
                    ("dport", offender.port.map(JSONValue.int) ?? .null),
                    ("proto", .string(offender.proto)),
                    ("violations", .int(offender.violations)),
                    ("unreplied", .int(offender.unreplied)),
                    ("translated_ports", .array(offender.translatedPorts.sorted().map(JSONValue.int))),
                ])
            })),
        ])
        return document.serialized(indent: 2) + "\n"
    }

    private static func endpoint(_ address: String, _ port: Int?) -> String {
        guard let port else { return address }
        return address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    private static func ports(_ ports: Set<Int>) -> String {
        let sorted = ports.sorted()
        return sorted.prefix(8).map(String.init).joined(separator: ",") + (sorted.count > 8 ? ",…" : "")
    }

    private static func table(_ header: [String], _ rows: [[String]], numeric: Set<Int>) -> [String] {
        var widths = header.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                if index == cells.count - 1 { return cell }
                return numeric.contains(index) ? padding + cell : cell + padding
            }.joined(separator: "  ")
        }
        return [line(header)] + rows.map(line)
    }
}
