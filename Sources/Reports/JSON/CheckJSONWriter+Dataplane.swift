import Engines

extension CheckJSONWriter {
    /// One BPF dataplane finding of `check`.
    static func encode(_ finding: DataplaneFinding, into json: inout JSONWriter) {
        json.beginObject()
        json.member("dataplane", finding.dataplane.rawValue)
        json.member("detected_by", finding.detectedBy)
        json.key("ports")
        JSONReportWriter.encode(finding.ports, into: &json)
        json.member("ports_from", finding.portsFrom)
        json.member("verdict", finding.verdict.rawValue)
        json.key("outside")
        encode(finding.outside, into: &json)
        json.member("explanation", finding.explanation)
        json.member("fix", finding.fix)
        json.member("commands", finding.fixCommands)
        json.endObject()
    }
}
