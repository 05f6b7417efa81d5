import Conntrack
public import Engines
public import Policy

/// `ctaudit probe` as text and as `ctaudit.probe/v1` JSON (docs/PROBE.md).
public enum ProbeWriters {
    public static let schema = "ctaudit.probe/v1"

    public static func text(_ result: ProbeResult, hints: ReaderHintWording = .plain) -> String {
        var lines: [String] = []
        lines.append(
            "ctaudit probe \(result.proto) \(result.target) from \(result.netns.map { "netns \($0)" } ?? "this node"), local ports \(result.range)"
        )
        if result.unreachable {
            lines.append("target unreachable: no probe got anything back (\(result.probes) probe(s)); this says nothing about the firewall")
        } else {
            lines.append("replies came back to:     \(describe(result.allowed))")
            lines.append("replies did not come back: \(describe(result.blocked))")
            if !result.unknown.ranges.isEmpty {
                lines.append("not resolved (\(hints(.probeLimit)) \(result.maxProbes) reached or ports in use): \(result.unknown)")
            }
        }
        lines.append(
            "probes: \(result.probes) of at most \(result.maxProbes)"
                + (result.skipped.isEmpty ? "" : "; \(result.skipped.count) port(s) in use skipped"))
        lines.append("")
        lines.append("evidence (in order):")
        for record in result.evidence {
            lines.append(
                "  \(String(record.localPort).leftPadded(5))  \(record.phase.rawValue.padded(7))  \(outcome(record.outcome))  \(record.milliseconds) ms"
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func json(_ result: ProbeResult) -> String {
        JSONWriter.text(.pretty) { json in
            json.beginObject()
            json.member("schema", schema)
            json.member("target", result.target)
            json.member("proto", result.proto)
            json.member("netns", result.netns)
            json.member("range", result.range.description)
            json.member("reachable", !result.unreachable)
            json.member("allowed", result.allowed.ranges.map(\.description))
            json.member("blocked", result.blocked.ranges.map(\.description))
            json.member("unknown", result.unknown.ranges.map(\.description))
            json.member("probes", result.probes)
            json.member("max_probes", result.maxProbes)
            json.array("skipped_in_use", result.skipped) { $0.int(Int($1)) }
            json.array("evidence", result.evidence) { json, record in
                json.beginObject()
                json.member("port", Int(record.localPort))
                json.member("phase", record.phase.rawValue)
                json.key("came_back")
                if let cameBack = record.cameBack { json.bool(cameBack) } else { json.null() }
                json.member("outcome", outcome(record.outcome))
                json.member("ms", record.milliseconds)
                json.endObject()
            }
            json.endObject()
            json.newline()
        }
    }

    /// A config file (docs/CONFIG.md) whose profile is what came back, for `audit --config`.
    public static func profile(_ result: ProbeResult, generatedAt: String, hints: ReaderHintWording = .plain) -> String? {
        guard !result.allowed.ranges.isEmpty else { return nil }
        let name = "probed-\(result.proto)"
        return """
            # written by ctaudit probe at \(generatedAt): \(result.proto) replies from \(result.target)
            # came back to these local ports (\(result.probes) probes); \(hints(.configFileUse))
            profile: \(name)
            profiles:
              \(name):
                allow: "\(result.allowed)"
                description: "measured by ctaudit probe: \(result.proto) replies from \(result.target)"

            """
    }

    static func describe(_ set: PortRangeSet) -> String { set.ranges.isEmpty ? "none" : set.description }

    static func outcome(_ outcome: ReplyProbeOutcome) -> String {
        switch outcome {
        case .replied(let detail): "came back (\(detail))"
        case .noReply: "no reply"
        case .portInUse: "in use, skipped"
        case .failed(let detail): "failed: \(detail)"
        }
    }
}

extension String {
    fileprivate func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    fileprivate func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
