import Engines
import NodeState

extension JSONReportWriter {
    /// The top-level `dataplanes` object: the bpffs searched, what was read,
    /// the summary's counts per dataplane read (kept out of `summary`, whose
    /// members are all numbers), every BPF map found (read, or why not).
    static func encodeDataplanes(of report: AuditReport, into json: inout JSONWriter) {
        let survey = report.dataplanes
        json.beginObject()
        json.member("bpffs", survey.bpffs)
        json.member("read", survey.read.map(\.rawValue))
        json.object("counts") { json in
            for plane in survey.read {
                let counts = report.summary.counts(for: plane)
                json.key(plane.rawValue)
                json.beginObject()
                json.member("flows", counts.flows)
                json.member("snat", counts.snat)
                json.member("remapped", counts.remapped)
                json.member("violations", counts.violations)
                json.endObject()
            }
        }
        json.array("maps", survey.maps) { encode($1, into: &$0) }
        json.member("warnings", survey.warnings)
        json.endObject()
    }

    static func encode(_ reading: DataplaneMapReading, into json: inout JSONWriter) {
        json.beginObject()
        json.member("dataplane", reading.dataplane.rawValue)
        json.member("path", reading.path)
        json.member("read", reading.isRead)
        switch reading.outcome {
        case let .read(entries, translations, malformed, unpaired):
            json.member("entries", entries)
            json.member("translations", translations)
            json.member("malformed", malformed)
            json.member("unpaired", unpaired)
            json.member("error", nil as String?)
        case .unreadable(let reason):
            json.member("entries", nil as Int?)
            json.member("translations", nil as Int?)
            json.member("malformed", nil as Int?)
            json.member("unpaired", nil as Int?)
            json.member("error", reason)
        }
        json.endObject()
    }
}
