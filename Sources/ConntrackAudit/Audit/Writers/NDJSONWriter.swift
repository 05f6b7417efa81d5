/// Writes an audit as newline-delimited JSON: one violation per line, for
/// log shippers (Fluent Bit, Vector, Promtail) that index each line as an
/// event. A clean audit writes nothing.
///
/// Each line carries the context a log pipeline would otherwise lose (host,
/// namespace, time, allowed ranges, schema) followed by exactly the fields of
/// a `violations[]` entry in `ctaudit.audit/v1`.
public enum NDJSONWriter {
    public static let schema = "ctaudit.violation/v1"

    public static func render(_ report: AuditReport) -> String {
        var out = ""
        for violation in report.violations {
            out += line(violation, in: report).serialized() + "\n"
        }
        return out
    }

    public static func line(_ violation: Violation, in report: AuditReport) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("schema", .string(schema)),
            ("host", .string(report.host)),
            ("netns", report.netns.map(JSONValue.string) ?? .null),
            ("generated_at", .string(report.generatedAt)),
            ("allowed", .string(report.policy.allowed.description)),
        ]
        if case .object(let fields) = JSONReportWriter.violation(violation, decision: report.firewallDecision(for: violation)) {
            members += fields
        }
        return .object(members)
    }
}
