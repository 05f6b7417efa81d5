/// Writes a check as the documented `ctaudit.check/v1` JSON (docs/CHECK.md).
/// Field names are stable; new fields may be added, none renamed or removed.
public enum CheckJSONWriter {
    public static let schema = "ctaudit.check/v1"

    public static func render(_ report: CheckReport) -> String {
        document(report).serialized(indent: 2) + "\n"
    }

    public static func document(_ report: CheckReport) -> JSONValue {
        .object([
            ("schema", .string(schema)),
            ("host", .string(report.host)),
            ("netns", report.netns.map(JSONValue.string) ?? .null),
            ("generated_at", .string(report.generatedAt)),
            ("verdict", .string(report.verdict.rawValue)),
            ("policy", .object([
                ("allowed", ranges(report.allowed)),
                ("pod_cidrs", .array(report.podNetworks.map { .string($0.description) })),
            ])),
            ("inputs", .array(report.inputs.map(JSONValue.string))),
            ("port_sources", .array(report.sources.map(source))),
            ("node_port_range", report.nodePortRange.map(JSONReportWriter.range) ?? .null),
            ("kernel", .object([
                ("release", report.kernelRelease.map(JSONValue.string) ?? .null),
                ("remap_offset_bits", .int(report.remapOffsetBits)),
            ])),
            ("rules", .array(report.findings.map(finding))),
            ("remedies", .array(report.remedies.map(remedy))),
            ("notes", .array(report.notes.map(JSONValue.string))),
            ("dataplanes", .array(report.dataplanes.map(dataplane))),
        ])
    }

    static func ranges(_ set: PortRangeSet) -> JSONValue { .array(set.ranges.map(JSONReportWriter.range)) }

    static func source(_ source: PortSource) -> JSONValue {
        .object([
            ("range", JSONReportWriter.range(source.range)),
            ("origin", .string(source.origin.rawValue)),
            ("users", .array(source.users.map(JSONValue.string))),
        ])
    }

    static func finding(_ finding: RuleFinding) -> JSONValue {
        let rule = finding.rule
        var action: [(String, JSONValue)] = [("type", .string(rule.action.name))]
        if case .snat(let address) = rule.action { action.append(("to_source", .string(address))) }
        return .object([
            ("tool", .string(rule.tool.rawValue)),
            ("family", .string(rule.family)),
            ("table", .string(rule.table)),
            ("chain", .string(rule.chain)),
            ("chain_path", .array(rule.chainPath.map(JSONValue.string))),
            (rule.tool == .nft ? "handle" : "position", .int(rule.position)),
            ("location", .string(rule.location)),
            ("text", .string(rule.text)),
            ("origin", .string(rule.origin)),
            ("controller", rule.controller.map(JSONValue.string) ?? .null),
            ("action", .object(action)),
            ("match", .object([
                ("text", .string(rule.matchText)),
                ("protocols", .string(rule.protocols.description)),
                ("effective_protocols", .string(finding.effectiveProtocols.description)),
                ("source", rule.source.map(JSONValue.string) ?? .null),
                ("destination", rule.destination.map(JSONValue.string) ?? .null),
                ("mark", rule.mark.map(JSONValue.string) ?? .null),
                ("out_interface", rule.outInterface.map(JSONValue.string) ?? .null),
                ("comment", rule.comment.map(JSONValue.string) ?? .null),
            ])),
            ("ports", .object([
                ("range", rule.ports.range.map(JSONReportWriter.range) ?? .null),
                ("random", .bool(rule.ports.random)),
                ("random_fully", .bool(rule.ports.randomFully)),
                ("persistent", .bool(rule.ports.persistent)),
                ("every_flow_remapped", .bool(rule.ports.remapsEveryFlow)),
                ("can_carry_range", .bool(rule.protocols.canCarryPortRange)),
            ])),
            ("in_scope", .bool(finding.inScope)),
            ("verdict", .string(finding.verdict.rawValue)),
            ("reason", .string(finding.reason)),
            ("predictions", .array(finding.predictions.map(prediction))),
            ("remedies", .array(finding.remedies.map(remedy))),
        ])
    }

    static func prediction(_ prediction: RemapPrediction) -> JSONValue {
        .object([
            ("source_ports", JSONReportWriter.range(prediction.source.range)),
            ("source_origin", .string(prediction.source.origin.rawValue)),
            ("possible_ports", ranges(prediction.possiblePorts)),
            ("possible_ports_outside", ranges(prediction.possiblePortsOutside)),
            ("share_remapped_without_clash", .number(prediction.shareRemappedWithoutClash)),
            ("share_outside_without_clash", .number(prediction.shareOutsideWithoutClash)),
            ("share_of_remapped_outside", .number(prediction.shareOfRemappedOutside)),
            ("verdict", .string(prediction.verdict.rawValue)),
        ])
    }

    static func remedy(_ remedy: NATRemedy) -> JSONValue {
        JSONReportWriter.remedy(remedy)
    }
}
