public import Engines

/// Writes an audit as newline-delimited JSON: one violation per line, for
/// log shippers (Fluent Bit, Vector, Promtail) that index each line as an
/// event. A clean audit writes nothing. With `--firewall`, flows a rule
/// ctaudit cannot judge decides get lines of their own, marked `"uncertain": true`.
/// When source-NATed flows came from outside the pod networks, one more line
/// (`outsideSchema`) says how many, from where, and how many would violate:
/// those flows are not pod violations, but a wrong pod network must not look
/// like a clean node.
///
/// Each line carries the context a log pipeline would otherwise lose (host,
/// namespace, time, allowed ranges, schema) followed by exactly the fields of
/// a `violations[]` entry in `ctaudit.audit/v1`.
public enum NDJSONWriter {
    public static let schema = "ctaudit.violation/v1"
    /// The line about flows from outside the pod networks.
    public static let outsideSchema = "ctaudit.outside-pod-networks/v1"

    public static func render(_ report: AuditReport) -> String {
        var text = ""
        write(report) { text += $0 }
        return text
    }

    /// Streams the lines in chunks of about 64 KiB, like the JSON report.
    public static func write(_ report: AuditReport, to sink: (String) -> Void) {
        precondition(report.violations.isComplete, "NDJSON lists every violation: audit with retention .all")
        JSONWriter.stream(.compact, to: sink) { json in
            for violation in report.violations { encodeLine(violation, in: report, into: &json) }
            // Flows a firewall rule ctaudit cannot judge decides: their own lines, `"uncertain": true`.
            for flow in report.uncertainFlows { encodeLine(flow, in: report, uncertain: true, into: &json) }
            if report.summary.outsidePodNetworks.flows > 0 { encodeOutsideLine(report, into: &json) }
        }
    }

    /// `{"schema": "ctaudit.outside-pod-networks/v1", host, netns, generated_at,
    /// allowed, verdict, pod_cidrs, outside_pod_networks: {...}}`.
    public static func encodeOutsideLine(_ report: AuditReport, into json: inout JSONWriter) {
        json.beginObject()
        json.member("schema", outsideSchema)
        json.member("host", report.host)
        json.member("netns", report.netns)
        json.member("generated_at", report.generatedAt)
        json.member("allowed", report.policy.allowed.description)
        json.member("verdict", report.verdict.rawValue)
        json.array("pod_cidrs", report.policy.podNetworks) { $0.string($1.description) }
        json.key("outside_pod_networks")
        JSONReportWriter.encode(report.summary.outsidePodNetworks, into: &json)
        json.endObject()
        json.newline()
    }

    public static func encodeLine(_ violation: Violation, in report: AuditReport, uncertain: Bool = false, into json: inout JSONWriter) {
        json.beginObject()
        json.member("schema", schema)
        json.member("host", report.host)
        json.member("netns", report.netns)
        json.member("generated_at", report.generatedAt)
        json.member("allowed", report.policy.allowed.description)
        JSONReportWriter.encodeMembers(of: violation, decision: report.firewallDecision(for: violation), into: &json)
        if uncertain { json.member("uncertain", true) }
        json.endObject()
        json.newline()
    }
}
