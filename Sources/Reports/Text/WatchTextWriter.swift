public import Engines
import NodeState
public import Policy

/// `watch --format text`: one line per record for a person at a terminal,
/// and a summary at the end.
///
///     14:50:12.345 NEW     VIOLATION tcp    10.244.0.3:40001 -> 203.0.113.10:8080  via 198.51.100.2:1187  SYN_SENT [UNREPLIED]  remapped  expires 120s
///     14:52:12.346 DESTROY VIOLATION tcp    10.244.0.3:40001 -> 203.0.113.10:8080  via 198.51.100.2:1187  SYN_SENT [UNREPLIED]  remapped  => never got a reply: the connection failed
public struct WatchTextWriter: Sendable, TerminalStyled {
    /// ANSI colour; the CLI turns it on only for a TTY without NO_COLOR.
    public var color: Bool
    /// The `--firewall` policy, named in the summary (each record carries its own deciding rule).
    public var firewall: FirewallPolicy?

    public init(color: Bool = false, firewall: FirewallPolicy? = nil) {
        self.color = color
        self.firewall = firewall
    }

    public func line(_ record: WatchRecord) -> String {
        let event = record.event.rawValue.uppercased()
        let kind = record.isViolation ? paint("VIOLATION", "31;1") : record.isUncertain ? paint("UNCERTAIN", "33;1") : "remap    "
        var text =
            SystemClock.timeOfDay(record.timeNanoseconds) + " "
            + event + String(repeating: " ", count: max(0, 7 - event.count)) + " " + kind + " "
            + TextReportWriter(color: color).evidence(record.violation)
        if let decision = record.firewallDecision {
            text += "  " + decision.description
        }
        switch record.event {
        case .destroy:
            text +=
                record.flow.isUnreplied
                ? "  => " + paint("never got a reply: the connection failed", "31")
                : "  => got a reply"
        case .update where !record.flow.isUnreplied:
            text += "  => got a reply"
        case .resync:
            text += "  (found by the resync dump after lost events)"
        case .existing:
            text += "  (in the table before the watch started)"
        default:
            break
        }
        return text + "\n"
    }

    public func summary(_ summary: WatchSummary, context: WatchContext) -> String {
        let seconds = Double(context.durationNanoseconds) / 1e9
        var lines: [String] = []
        let netns = context.netns.map { "netns \($0)" } ?? "own netns"
        lines.append(
            paint("ctaudit watch summary", "1") + ": \(context.host), \(netns), "
                + "\(formatted(seconds)) s, stopped by \(context.stopReason.rawValue); "
                + (firewall.map { "firewall \($0.title)" } ?? "allowed \(context.allowed)"))
        lines.append(
            "events \(summary.events) (new \(summary.eventsNew), update \(summary.eventsUpdate), "
                + "destroy \(summary.eventsDestroy))")
        var counts = "snat \(summary.snat)   remapped \(summary.remapped)   violations \(summary.violations)"
        if summary.violations > 0 {
            counts +=
                " (\(summary.violationsUnreplied) never got a reply, "
                + "\(summary.violationsFailed) ended without one"
            counts += summary.violationsKeptPort > 0 ? ", \(summary.violationsKeptPort) kept the pod's own port)" : ")"
        }
        if summary.uncertain > 0 {
            counts +=
                "   uncertain \(summary.uncertain) (a firewall rule ctaudit cannot judge decides their replies: neither violations nor clean)"
        }
        lines.append(counts)
        // Entries older than the watch may never send an event
        // (nf_conntrack_events=2): say how they were seen.
        lines.append(
            "in the table at start: \(summary.existingViolations) violation(s), counted from the initial dump"
                + (summary.followDumps > 0 ? " and followed by \(summary.followDumps) dump(s) until they ended" : ""))
        let buffer =
            "receive buffer \(context.receiveBufferBytes) bytes"
            + (context.receiveBufferForced ? "" : ", SO_RCVBUF (capped by net.core.rmem_max)")
        if summary.eventsLost == 0 {
            lines.append("events lost 0 (\(buffer))")
        } else {
            let lost = summary.eventsLostExact ? "\(summary.eventsLost)" : "at least \(summary.eventsLost)"
            lines.append(
                paint("events lost \(lost)", "33") + " (\(buffer)); \(summary.resyncs) resync dump(s) found "
                    + "\(summary.resyncFound) violation(s) whose events were lost, \(summary.endedUnseen) flow(s) ended unseen")
        }
        for unwatched in context.unwatched {
            lines.append(paint("not watched: \(unwatched)", "33"))
        }
        if summary.malformed > 0 {
            lines.append("note: \(summary.malformed) malformed event message(s) skipped")
        }
        lines += TextReportWriter.remedyLines(RemedyAdvice(context.remedies, ruleTools: context.natRuleTools), bold: { paint($0, "1") })
        return lines.joined(separator: "\n") + "\n"
    }

    private func formatted(_ seconds: Double) -> String {
        let tenths = Int((seconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

}
