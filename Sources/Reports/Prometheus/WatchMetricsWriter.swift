public import Engines
import NodeState
public import Policy

/// Renders `watch`'s counters in the Prometheus text exposition format, for
/// `--listen` (/metrics) and `--textfile` (node_exporter's textfile collector).
///
/// Every name starts with `ctaudit_watch_` (docs/METRICS.md): its textfile
/// shares node_exporter's collector directory with audit's and stats'.
/// Violation series have the labels of audit's (`allowed`, `dataplane`,
/// `family`, `proto`); watch sees conntrack events only, so `dataplane` is
/// always `conntrack`.
///
/// Counters start at zero when the process starts; a restart is visible to
/// Prometheus as a counter reset together with a new start time
/// (`process_start_time_seconds` on /metrics; in a textfile
/// `ctaudit_watch_start_time_seconds`, because node_exporter exports its own
/// `process_*` series and a duplicate would fail the whole scrape).
public enum WatchMetricsWriter {
    public enum Target: Sendable {
        /// Served on /metrics by ctaudit itself.
        case http
        /// Read by node_exporter's textfile collector.
        case textfile
    }

    public struct Context: Sendable {
        public var startTimeSeconds: Double
        public var allowed: PortRangeSet
        /// Per protocol and family (`tcp/ipv4` → the firewall's answer in
        /// words and the ports it admits for every peer), with `--firewall`;
        /// empty: `allowed` for all.
        public var allowedByKey: [WatchCounters.Key: (words: String, count: Int)] = [:]
        /// False once the watch stopped (the last textfile it writes).
        public var running: Bool
        /// BPF NAT dataplanes present on the node whose translations send no
        /// conntrack events: not in these counters.
        public var unwatchedDataplanes: [Dataplane]
        /// The periodic re-check of the node's NAT rules (`--check-interval`);
        /// nil: off. No series until the first check finished.
        public var rules: RuleDrift?
        public var ruleCheckIntervalSeconds: Double = 0
        public init(startTimeSeconds: Double, allowed: PortRangeSet, running: Bool = true, unwatchedDataplanes: [Dataplane] = []) {
            self.startTimeSeconds = startTimeSeconds
            self.allowed = allowed
            self.running = running
            self.unwatchedDataplanes = unwatchedDataplanes
        }
    }

    public static func render(_ counters: WatchCounters, _ summary: WatchSummary, context: Context, target: Target) -> String {
        var out = PrometheusWriter.MetricText()
        let keys = counters.byKey.keys.sorted()
        func samples(_ field: KeyPath<WatchCounters.PerKey, Int64>) -> [([String: String], Double)] {
            keys.map { key in
                (
                    [
                        "allowed": context.allowedByKey[key]?.words ?? context.allowed.description,
                        "dataplane": Dataplane.conntrack.rawValue,
                        "family": key.family.description, "proto": key.proto.name,
                    ], Double(counters.byKey[key]![keyPath: field])
                )
            }
        }
        out.counter(
            "ctaudit_watch_violation_flows_total",
            "Source-NATed pod flows whose translated source port is outside the allowed ranges, counted once per flow when first seen (event or dump).",
            samples(\.violating))
        out.counter(
            "ctaudit_watch_violation_unreplied_flows_total",
            "Violating flows that ended without ever getting a reply: connections that failed.",
            samples(\.violatingUnreplied))
        out.counter(
            "ctaudit_watch_uncertain_flows_total",
            "Source-NATed pod flows whose replies a --firewall rule ctaudit cannot judge decides, counted once per flow: neither violations nor clean.",
            samples(\.uncertain))
        out.counter(
            "ctaudit_watch_snat_flows_total",
            "Source-NATed pod flows (in the policy's scope) seen, counted once per flow.", samples(\.snat))
        out.gauge(
            "ctaudit_watch_violation_flows", "Violating flows alive in the conntrack table now, as far as events and dumps show.",
            samples(\.current))
        out.gauge(
            "ctaudit_watch_followed_violation_flows",
            "Violations older than the watch that send no events (nf_conntrack_events=2), followed by periodic dumps until they end.",
            Double(counters.followedExisting))
        out.counter("ctaudit_watch_events_total", "Conntrack events read.", [([:], Double(summary.events))])
        out.counter(
            "ctaudit_watch_events_lost_total",
            "Conntrack events the kernel dropped because the receive queue was full (its per-socket drop counter; at least the ENOBUFS reports when it has none).",
            [([:], Double(counters.eventsLost))])
        out.counter("ctaudit_watch_resyncs_total", "Table dumps run to recover after lost events.", [([:], Double(counters.resyncs))])
        out.counter(
            "ctaudit_watch_dumps_total",
            "Table dumps run, by reason: initial (at start), follow (flows older than the watch), resync (lost events).",
            [
                (["reason": "follow"], Double(summary.followDumps)), (["reason": "initial"], Double(summary.initialDumps)),
                (["reason": "resync"], Double(summary.resyncs)),
            ])
        out.counter(
            "ctaudit_watch_malformed_events_total", "Conntrack event messages that failed to decode and were skipped.",
            [([:], Double(counters.malformed))])
        out.gauge(
            "ctaudit_watch_last_event_timestamp_seconds", "Unix time the last conntrack event was read (0: none yet).",
            (Double(counters.lastEventNanoseconds / 1_000_000) / 1000))
        out.gauge(
            "ctaudit_watch_allowed_ports",
            "Translated source ports the upstream firewall lets replies back to, per protocol and family (for every peer).",
            WatchCounters.baselineKeys.sorted().map { key in
                let own = context.allowedByKey[key]
                return (
                    ["allowed": own?.words ?? context.allowed.description, "family": key.family.description, "proto": key.proto.name],
                    Double(own?.count ?? context.allowed.count)
                )
            })
        if !context.unwatchedDataplanes.isEmpty {
            // Only where it applies: a node without BPF NAT has nothing to say here.
            out.gauge(
                "ctaudit_watch_unwatched_dataplane",
                "1 for a BPF NAT dataplane on this node whose translations send no conntrack events: not counted here; 'ctaudit audit' reads its maps.",
                context.unwatchedDataplanes.map { (["dataplane": $0.rawValue], 1) })
        }
        if let rules = context.rules, rules.checks > 0 { out.ruleDrift(rules, intervalSeconds: context.ruleCheckIntervalSeconds) }
        out.gauge(
            "ctaudit_watch_up",
            "1 while ctaudit watch is counting; 0 in a textfile written before its initial dump finished or after it stopped.",
            context.running ? 1 : 0)
        out.gauge(
            "ctaudit_watch_start_time_seconds", "Unix time this ctaudit watch process started: counters reset when it moves.",
            context.startTimeSeconds)
        if target == .http {
            out.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", context.startTimeSeconds)
        }
        return out.text
    }
}
