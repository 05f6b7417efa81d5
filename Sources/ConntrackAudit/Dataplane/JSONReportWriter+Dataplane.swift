extension JSONReportWriter {
    /// `dataplanes.counts`: the summary's counts per dataplane read (conntrack
    /// always). Kept out of `summary`, whose members are all numbers.
    static func dataplaneCounts(_ report: AuditReport) -> JSONValue {
        .object(report.dataplanes.read.map { plane in
            let counts = report.summary.counts(for: plane)
            return (plane.rawValue, .object([
                ("flows", .int(counts.flows)),
                ("snat", .int(counts.snat)),
                ("remapped", .int(counts.remapped)),
                ("violations", .int(counts.violations)),
            ]))
        })
    }

    /// The top-level `dataplanes` object: what was read, and every BPF map
    /// found (read, or why not).
    static func dataplanes(_ report: AuditReport) -> JSONValue {
        let survey = report.dataplanes
        return .object([
            ("bpffs", survey.bpffs.map(JSONValue.string) ?? .null),
            ("read", .array(survey.read.map { .string($0.rawValue) })),
            ("counts", dataplaneCounts(report)),
            ("maps", .array(survey.maps.map(mapReading))),
            ("warnings", .array(survey.warnings.map(JSONValue.string))),
        ])
    }

    static func mapReading(_ reading: DataplaneMapReading) -> JSONValue {
        switch reading.outcome {
        case let .read(entries, translations, malformed, unpaired):
            .object([
                ("dataplane", .string(reading.dataplane.rawValue)),
                ("path", .string(reading.path)),
                ("read", .bool(true)),
                ("entries", .int(entries)),
                ("translations", .int(translations)),
                ("malformed", .int(malformed)),
                ("unpaired", .int(unpaired)),
                ("error", .null),
            ])
        case .unreadable(let reason):
            .object([
                ("dataplane", .string(reading.dataplane.rawValue)),
                ("path", .string(reading.path)),
                ("read", .bool(false)),
                ("entries", .null),
                ("translations", .null),
                ("malformed", .null),
                ("unpaired", .null),
                ("error", .string(reason)),
            ])
        }
    }
}
