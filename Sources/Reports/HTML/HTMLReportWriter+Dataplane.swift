import Engines

extension HTMLReportWriter {
    /// Which dataplanes were read, each BPF map found, and why one was not read.
    func dataplaneSection(_ report: AuditReport) -> String {
        let survey = report.dataplanes
        var out =
            "<p id=\"dataplanes\" class=\"note\">Dataplanes read: <b>"
            + HTML.escape(survey.read.map(\.rawValue).joined(separator: ", ")) + "</b></p>\n"
        if !survey.maps.isEmpty {
            out += HTML.table(
                id: "dataplane-table",
                header: ["dataplane", "BPF map", "entries", "translations", "status"],
                rows: survey.maps.map { reading in
                    switch reading.outcome {
                    case let .read(entries, translations, malformed, unpaired):
                        var status = "read"
                        if malformed > 0 { status += ", \(malformed) malformed skipped" }
                        if unpaired > 0 { status += ", \(unpaired) without reverse entry not audited" }
                        return [reading.dataplane.rawValue, reading.path, String(entries), String(translations), status]
                    case .unreadable(let reason):
                        return [reading.dataplane.rawValue, reading.path, "", "", "NOT READ: " + reason]
                    }
                },
                numeric: [2, 3])
        }
        for warning in survey.warnings {
            out += "<p class=\"note warn\">Warning: \(HTML.escape(warning))</p>\n"
        }
        return out
    }
}
