extension CheckJSONWriter {
    /// One BPF dataplane finding of `check`.
    static func dataplane(_ finding: DataplaneFinding) -> JSONValue {
        .object([
            ("dataplane", .string(finding.dataplane.rawValue)),
            ("detected_by", .array(finding.detectedBy.map(JSONValue.string))),
            ("ports", JSONReportWriter.range(finding.ports)),
            ("ports_from", .string(finding.portsFrom)),
            ("verdict", .string(finding.verdict.rawValue)),
            ("outside", ranges(finding.outside)),
            ("explanation", .string(finding.explanation)),
            ("fix", finding.fix.map(JSONValue.string) ?? .null),
            ("commands", .array(finding.fixCommands.map(JSONValue.string))),
        ])
    }
}
