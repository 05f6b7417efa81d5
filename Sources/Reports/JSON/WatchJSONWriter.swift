public import Engines
import NodeState
public import Policy

/// `watch --format ndjson`: one JSON object per line. Records carry `event`
/// and `time`, then exactly the fields of a `violations[]` entry of
/// `ctaudit.audit/v1` (`JSONReportWriter.encodeMembers`), then `violation`;
/// the last line is the summary (`"event":"summary"`). Field names are
/// stable (docs/WATCH.md).
public enum WatchJSONWriter {
    /// `firewall`: the `--firewall` policy (the line then says `uncertain`);
    /// each violation's deciding rule (`rule`) is the record's own.
    public static func line(_ record: WatchRecord, firewall: FirewallPolicy? = nil) -> String {
        var json = JSONWriter(style: .compact, capacity: 768)
        json.beginObject()
        json.member("event", record.event.rawValue)
        json.member("time", SystemClock.rfc3339(record.timeNanoseconds))
        JSONReportWriter.encodeMembers(of: record.violation, decision: record.firewallDecision, into: &json)
        json.member("violation", record.isViolation)
        if firewall != nil { json.member("uncertain", record.isUncertain) }
        json.endObject()
        json.newline()
        return json.text
    }

    public static func summary(_ summary: WatchSummary, context: WatchContext, firewall: FirewallPolicy? = nil) -> String {
        var json = JSONWriter(style: .compact)
        json.beginObject()
        json.member("event", "summary")
        json.member("time", SystemClock.rfc3339(context.endedAtNanoseconds))
        json.member("host", context.host)
        json.member("netns", context.netns)
        json.member("duration_ms", Int(context.durationNanoseconds / 1_000_000))
        json.member("allowed", context.allowed.description)
        if let firewall { json.member("firewall", firewall.title) }
        json.member("events", summary.events)
        json.member("events_new", summary.eventsNew)
        json.member("events_update", summary.eventsUpdate)
        json.member("events_destroy", summary.eventsDestroy)
        json.member("snat", summary.snat)
        json.member("remapped", summary.remapped)
        json.member("without_ports", summary.withoutPorts)
        json.member("violations", summary.violations)
        json.member("violations_unreplied", summary.violationsUnreplied)
        json.member("violations_failed", summary.violationsFailed)
        json.member("violations_kept_port", summary.violationsKeptPort)
        if firewall != nil { json.member("uncertain", summary.uncertain) }
        json.member("existing_violations", summary.existingViolations)
        json.member("follow_dumps", summary.followDumps)
        json.member("events_lost", Int(clamping: summary.eventsLost))
        json.member("events_lost_exact", summary.eventsLostExact)
        json.member("overruns", summary.overruns)
        json.member("resyncs", summary.resyncs)
        json.member("resync_found", summary.resyncFound)
        json.member("ended_unseen", summary.endedUnseen)
        json.member("malformed", summary.malformed)
        json.member("receive_buffer", context.receiveBufferBytes)
        json.member("stopped_by", context.stopReason.rawValue)
        json.member("unwatched", context.unwatched)
        // The fixes, as audit's JSON has them (`applies`, `role`).
        json.array("remedies", context.remedies) { JSONReportWriter.encode($1, into: &$0, withApplies: true) }
        json.endObject()
        json.newline()
        return json.text
    }
}
