import Conntrack
public import Engines
import NodeState
import Policy

/// Writes `who` as `ctaudit.who/v1` JSON (docs/WHO.md). A flow's members
/// are those of an audit violation (`original`, `reply`, `translated`,
/// `state`, `pod`, ...) plus `verdict` and `violates`.
public enum WhoJSONWriter {
    public static let schema = WhoReport.jsonSchema

    public static func render(_ report: WhoReport) -> String {
        var text = ""
        write(report) { text += $0 }
        return text
    }

    public static func write(_ report: WhoReport, to sink: (String) -> Void) {
        JSONWriter.stream(.pretty, to: sink) { json in
            encode(report, into: &json)
            json.newline()
        }
    }

    static func encode(_ report: WhoReport, into json: inout JSONWriter) {
        json.beginDocument(
            schema: schema, host: report.host, netns: report.netns, generatedAt: report.generatedAt,
            verdict: report.found ? "found" : "none")
        json.object("input") { json in
            switch report.source {
            case .endpoint:
                json.member("kind", "endpoint")
            case let .log(path, lines, cut, stopped):
                json.member("kind", "log")
                json.member("path", path)
                json.member("lines", lines)
                json.member("cut_lines", cut)
                json.member("stopped_at_limit", stopped)
            case let .capture(path, frames, packets, conversations, answered, untracked, truncated):
                json.member("kind", "pcap")
                json.member("path", path)
                json.member("frames", frames)
                json.member("packets", packets)
                json.member("conversations", conversations)
                json.member("answered", answered)
                json.member("unanswered", report.answers.count)
                json.member("untracked_packets", untracked)
                json.member("capped", untracked > 0)
                json.member("truncated", truncated)
            }
        }
        json.object("summary") { json in
            json.member("questions", report.answers.count)
            json.member("answered", report.answers.filter { !$0.flows.isEmpty }.count)
            json.member("unparsed", report.answers.filter { $0.unparsed != nil }.count)
            json.member("flows", report.flowCount)
            json.member("violating_flows", report.answers.reduce(0) { $0 + $1.flows.filter(\.violates).count })
            json.member("entries_read", report.entriesRead)
            json.member("kernel_filtered", report.dump.kernelFiltered)
            json.member("interrupted", report.dump.interrupted)
            json.member("flows_not_kept", report.flowsNotKept)
        }
        json.array("answers", report.answers) { encode($1, report: report, into: &$0) }
        json.member("warnings", report.warnings)
        json.array("kubernetes_warnings", report.kubernetesWarnings) { json, warning in
            json.beginObject()
            json.member("subject", warning.subject)
            json.member("message", warning.message)
            json.endObject()
        }
        json.endObject()
    }

    static func encode(_ answer: WhoAnswer, report: WhoReport, into json: inout JSONWriter) {
        json.beginObject()
        json.member("line", answer.line)
        json.member("text", answer.text)
        json.member("unparsed", answer.unparsed)
        json.key("packet")
        if let packet = answer.packet {
            json.beginObject()
            json.member("format", packet.format)
            json.member("proto", packet.proto?.name)
            json.member("src", packet.source.description)
            json.member("dst", packet.destination.description)
            json.member("flags", packet.flags)
            json.endObject()
        } else {
            json.null()
        }
        json.key("query")
        if let query = answer.query {
            json.beginObject()
            json.member("endpoint", query.endpoint.description)
            json.member("address", query.endpoint.address)
            json.member("port", Int(query.endpoint.port))
            json.key("remote_address")
            if let remote = query.remoteAddress { json.address(remote) } else { json.null() }
            json.member("remote_port", query.remotePort.map(Int.init))
            json.member("proto", query.proto?.name)
            json.endObject()
        } else {
            json.null()
        }
        json.member("node_side", answer.nodeSide)
        if let unanswered = answer.unanswered {
            json.object("unanswered") { json in
                json.member("packets", unanswered.packets)
                json.member("first_seen", SystemClock.rfc3339(unanswered.firstSeenMicroseconds * 1000))
                json.member("last_seen", SystemClock.rfc3339(unanswered.lastSeenMicroseconds * 1000))
            }
        }
        json.member("found", !answer.flows.isEmpty)
        json.array("flows", answer.flows) { encode($1, podsLookedUp: report.podsLookedUp, into: &$0) }
        json.endObject()
    }

    static func encode(_ found: WhoFlow, podsLookedUp: Bool, into json: inout JSONWriter) {
        json.beginObject()
        var violation = Violation(flow: found.flow, ageSeconds: found.ageSeconds, dataplane: found.dataplane)
        violation.pod = found.pod
        JSONReportWriter.encodeMembers(of: violation, decision: found.decision, into: &json)
        json.member("verdict", found.verdict.rawValue)
        json.member("violates", found.violates)
        json.endObject()
    }
}
