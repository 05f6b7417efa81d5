import Conntrack
public import Engines
import NodeState
import Policy

/// Writes `who` for a person: per question, the flows behind the endpoint
/// with the pod, the tuples, state, age and whether it violates.
public struct WhoTextWriter: Sendable, TerminalStyled {
    public var color: Bool

    public init(color: Bool = false) {
        self.color = color
    }

    public func render(_ report: WhoReport) -> String {
        var lines: [String] = []
        switch report.source {
        case .endpoint:
            break
        case let .log(path, count, _, _):
            lines.append(
                bold("ctaudit who") + " --from-log \(path == "-" ? "(stdin)" : path): \(count) lines, "
                    + "\(report.answers.filter { !$0.flows.isEmpty }.count) traced to a flow")
        case let .capture(path, _, packets, conversations, answered, _, _):
            lines.append(
                bold("ctaudit who") + " --pcap \(path): \(packets) packets, \(conversations) conversations, "
                    + "\(answered) answered, \(report.answers.count) unanswered")
            if report.answers.isEmpty { lines.append("  every SYN and datagram in the capture was answered") }
        }
        for answer in report.answers {
            lines.append(contentsOf: render(answer, report: report))
        }
        for warning in report.warnings { lines.append(yellow("warning: ") + warning) }
        return lines.joined(separator: "\n") + "\n"
    }

    func render(_ answer: WhoAnswer, report: WhoReport) -> [String] {
        var lines: [String] = []
        if let number = answer.line {
            lines.append("line \(number): " + (answer.text ?? ""))
            if let reason = answer.unparsed {
                lines.append("  not parsed: \(reason)")
                return lines
            }
        }
        guard let query = answer.query else { return lines }
        let indent = answer.line == nil ? "" : "  "
        var head = query.description
        if let unanswered = answer.unanswered {
            head =
                "unanswered \(query.proto?.name ?? "") \(query.endpoint) > "
                + Endpoint(address: query.remoteAddress!, port: query.remotePort ?? 0).description
                + " (\(unanswered.packets) \(query.proto == .tcp ? "SYN" : "datagram")\(unanswered.packets == 1 ? "" : "s"))"
        } else if let side = answer.nodeSide, side == "destination" {
            head += " (the packet's destination: a reply on its way back)"
        }
        if answer.flows.isEmpty {
            lines.append(indent + head + ": " + yellow("no flow") + " with this translated source")
            return lines
        }
        lines.append(indent + head + ": \(answer.flows.count) flow\(answer.flows.count == 1 ? "" : "s")")
        for found in answer.flows {
            lines.append(contentsOf: render(found, podsLookedUp: report.podsLookedUp).map { indent + "  " + $0 })
        }
        return lines
    }

    func render(_ found: WhoFlow, podsLookedUp: Bool) -> [String] {
        let flow = found.flow
        var pod = "pod      "
        if let identity = found.pod {
            pod +=
                identity.isOnlyAddress && identity.otherNetns.isEmpty
                ? "\(identity.ip) (only the IP is known)" : "\(identity.ip)  \(identity)"
            if identity.name != nil, let id = identity.containerID { pod += ", container \(id.prefix(12))" }
        } else {
            pod += "\(flow.original.source)" + (podsLookedUp ? "" : "  (not looked up: --no-pods)")
        }
        var state = "state    " + (flow.protocolState?.name ?? "-")
        if flow.isUnreplied { state += " [UNREPLIED]" }
        if flow.isAssured { state += " [ASSURED]" }
        if let age = found.ageSeconds { state += ", age \(age)s" }
        if let timeout = flow.timeout { state += ", expires in \(timeout)s" }
        state += ", \(found.dataplane.rawValue)"
        var verdict = "verdict  "
        let port = flow.translatedSourcePort
        switch found.verdict {
        case .violation: verdict += red("violation") + ": translated port \(port) is not admitted"
        case .outsideWouldViolate:
            verdict += red("would violate") + ": translated port \(port) is not admitted (source outside the pod networks)"
        case .allowed: verdict += "allowed: translated port \(port) is admitted"
        case .uncertain: verdict += yellow("uncertain") + ": a firewall rule ctaudit cannot judge decides its replies"
        case .nodeLocal: verdict += "node-local: its peer is on this node, the upstream firewall never sees it"
        case .outside: verdict += "allowed (source outside the pod networks)"
        case .notSourceNATed: verdict += "not source-NATed"
        }
        if let decision = found.decision { verdict += " (\(decision.decidedBy))" }
        return [
            pod,
            "original \(flow.proto.name) \(flow.original)",
            "reply    \(flow.proto.name) \(flow.reply)",
            state,
            verdict,
        ]
    }
}
