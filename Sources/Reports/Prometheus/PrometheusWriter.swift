import Conntrack
public import Engines
import Policy

/// Writes an audit in the Prometheus text exposition format for
/// node_exporter's textfile collector (docs/METRICS.md lists every metric).
///
/// Every name starts with `ctaudit_audit_`: stats' (`ctaudit_stats_`) and
/// watch's (`ctaudit_watch_`) textfiles share the collector directory, and
/// a name two files define makes node_exporter (and promtool on their
/// concatenation) refuse the lot.
///
/// Labels are bounded: dataplane, protocol, address family and the allowed
/// range set, never a pod, address or port, so a node adds a fixed handful of
/// series however many flows it has. Every metric is a gauge: each file is a
/// fresh snapshot of the table, not a running count.
public enum PrometheusWriter {
    /// Series that always exist, at zero when clean, so `== 0` alerts and
    /// `absent()` mean what they say.
    static let baselineKeys: [ViolationKey] = [
        ViolationKey(dataplane: .conntrack, proto: .tcp, family: .ipv4), ViolationKey(dataplane: .conntrack, proto: .tcp, family: .ipv6),
        ViolationKey(dataplane: .conntrack, proto: .udp, family: .ipv4), ViolationKey(dataplane: .conntrack, proto: .udp, family: .ipv6),
    ]

    struct ViolationKey: Hashable, Comparable {
        var dataplane: Dataplane
        var proto: IPProtocol
        var family: IPAddress.Family

        static func < (a: ViolationKey, b: ViolationKey) -> Bool {
            (a.dataplane, a.proto.rawValue, a.family.rawValue) < (b.dataplane, b.proto.rawValue, b.family.rawValue)
        }

        /// The same label names and values in audit's gauges and watch's counters.
        func labels(allowed: String) -> [String: String] {
            ["allowed": allowed, "dataplane": dataplane.rawValue, "family": family.description, "proto": proto.name]
        }
    }

    /// A successful audit. `timestamp` is the Unix time it finished.
    public static func render(_ report: AuditReport, timestamp: Double) -> String {
        var out = MetricText()
        let summary = report.summary
        // The allowed ports per protocol and family (and for the node's address): one set for --allow, the
        // firewall's answer for each with --firewall.
        let admissions = report.policy.admissions
        func allowedLabel(_ key: ViolationKey) -> String {
            report.policy.firewall == nil ? report.policy.allowed.description : admissions[key.proto, key.family].words
        }
        out.gauge(HealthMetrics.audit.up, HealthMetrics.audit.upHelp, 1)
        out.gauge(HealthMetrics.audit.lastSuccess, HealthMetrics.audit.lastSuccessHelp, timestamp)
        if let duration = report.durationSeconds.map({ ($0 * 1e6).rounded() / 1e6 }) {
            out.gauge("ctaudit_audit_duration_seconds", "Time the last audit took to read and classify the conntrack table.", duration)
        }
        out.gauge("ctaudit_audit_conntrack_entries", "Entries in the audited namespace's conntrack table.", Double(summary.flows))
        if let maximum = report.tableSize?.maximum {
            out.gauge("ctaudit_audit_conntrack_entries_limit", "nf_conntrack_max, the host-wide conntrack table limit.", Double(maximum))
        }
        out.gauge(
            "ctaudit_audit_allowed_ports",
            "Translated source ports the upstream firewall lets replies back to, per protocol and family (for every peer).",
            baselineKeys.sorted().map { key in
                (
                    ["allowed": allowedLabel(key), "family": key.family.description, "proto": key.proto.name],
                    Double(
                        report.policy.firewall == nil
                            ? report.policy.allowed.count
                            : admissions[key.proto, key.family].admittedForEveryPeer.count)
                )
            })
        let planes = report.dataplanes.read
        out.gauge(
            "ctaudit_audit_snat_flows", "Source-NATed pod flows in the audit's scope, per dataplane that recorded them.",
            planes.map { (["dataplane": $0.rawValue], Double(summary.counts(for: $0).snat)) })
        out.gauge(
            "ctaudit_audit_remapped_flows", "Source-NATed pod flows whose source port NAT changed, per dataplane.",
            planes.map { (["dataplane": $0.rawValue], Double(summary.counts(for: $0).remapped)) })
        out.gauge(
            "ctaudit_audit_out_of_scope_flows", "Source-NATed flows not from a pod network or to an excluded destination.",
            Double(summary.outOfScope))
        out.gauge(
            "ctaudit_audit_node_local_flows",
            "Source-NATed pod flows whose peer is on this node (pod, service network, node address, loopback): never violations.",
            Double(summary.nodeLocal))
        out.gauge(
            "ctaudit_audit_uncertain_flows",
            "Source-NATed pod flows whose replies a firewall rule ctaudit cannot judge decides (--firewall): neither violations nor clean.",
            Double(report.summary.uncertain))
        out.gauge(
            "ctaudit_audit_verdict",
            "1 for the audit's verdict: violations, pods-blocked, outside-violations (flows from outside the pod networks would violate), uncertain (a firewall rule ctaudit cannot judge decides some flows), clean-in-scope (pod flows clean, flows from outside the pod networks exist), clean, or nothing-to-audit (no pod flow to judge).",
            AuditVerdict.allCases.map { (["verdict": $0.rawValue], $0 == report.verdict ? 1 : 0) })
        out.outsidePodNetworks(report.summary.outsidePodNetworks)
        out.portOverlap(report.portOverlap)
        out.gauge(
            "ctaudit_audit_portless_flows", "Source-NATed pod flows of protocols without ports (ICMP, GRE): never violations.",
            Double(summary.withoutPorts))

        var violations: [ViolationKey: (all: Int, unreplied: Int, kept: Int)] = [:]
        for key in baselineKeys { violations[key] = (0, 0, 0) }
        // A BPF dataplane that was read has its zero series too.
        for plane in planes where plane != .conntrack {
            for key in baselineKeys { violations[ViolationKey(dataplane: plane, proto: key.proto, family: key.family)] = (0, 0, 0) }
        }
        for violation in report.violations.allFacts {
            let key = ViolationKey(dataplane: violation.dataplane, proto: violation.proto, family: violation.family)
            var counts = violations[key] ?? (0, 0, 0)
            counts.all += 1
            if violation.isUnreplied { counts.unreplied += 1 }
            if !violation.isRemapped { counts.kept += 1 }
            violations[key] = counts
        }
        let keys = violations.keys.sorted()
        func samples(_ pick: ((all: Int, unreplied: Int, kept: Int)) -> Int) -> [([String: String], Double)] {
            keys.map { key in (key.labels(allowed: allowedLabel(key)), Double(pick(violations[key]!))) }
        }
        out.gauge(
            "ctaudit_audit_violation_flows",
            "Source-NATed pod flows in the table whose translated source port is outside the allowed ranges: replies to them are dropped upstream.",
            samples(\.all))
        out.gauge(
            "ctaudit_audit_violation_unreplied_flows",
            "Violations that never saw a reply ([UNREPLIED]): connections failing now.", samples(\.unreplied))
        out.gauge(
            "ctaudit_audit_violation_kept_port_flows",
            "Violations where NAT kept the pod's own low port: the pod's ip_local_port_range is the cause.", samples(\.kept))
        out.gauge(
            "ctaudit_audit_dump_kernel_filtered", "1 if the kernel filtered the dump to source-NATed entries (Linux 5.15+).",
            report.dump.kernelFiltered ? 1 : 0)
        out.dumpHealth(prefix: "ctaudit_audit_dump", dump: report.dump, which: "the dump")
        return out.text
    }

    /// A failed run: only the health gauge at 0 and, carried over from the
    /// previous file, the time of the last success, so `time() - last_success`
    /// keeps growing and stale violation counts are not served as current.
    public static func renderFailure(previousSuccess: Double?) -> String {
        failureText(health: .audit, previousSuccess: previousSuccess)
    }

    /// The last-success time recorded in an earlier textfile, if any.
    public static func lastSuccess(inTextfile text: String) -> Double? {
        lastSuccess(inTextfile: text, health: .audit)
    }

    /// The health gauges of a textfile. One scheme for every subcommand:
    /// `ctaudit_<command>_up` is 1 while (or when last) it worked and 0 when
    /// it failed or stopped, `ctaudit_<command>_last_success_timestamp_seconds`
    /// when it last worked. The command is in the name, not a label, because
    /// each command's file must define names no other file does.
    struct HealthMetrics {
        var up: String
        var upHelp: String
        var lastSuccess: String
        var lastSuccessHelp: String

        static let audit = HealthMetrics(
            up: "ctaudit_audit_up",
            upHelp: "1 if the last ctaudit audit succeeded, 0 if it failed (the reason is on its stderr).",
            lastSuccess: "ctaudit_audit_last_success_timestamp_seconds",
            lastSuccessHelp: "Unix time the last successful ctaudit audit finished.")
    }

    static func failureText(health: HealthMetrics, previousSuccess: Double?) -> String {
        var out = MetricText()
        out.gauge(health.up, health.upHelp, 0)
        if let previousSuccess {
            out.gauge(health.lastSuccess, health.lastSuccessHelp, previousSuccess)
        }
        return out.text
    }

    static func lastSuccess(inTextfile text: String, health: HealthMetrics) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(health.lastSuccess + " ") {
            return Double(line.split(separator: " ").last ?? "")
        }
        return nil
    }

    /// Formats a sample value: integers without a fraction, others in
    /// Swift's shortest round-trip form (which Prometheus parses).
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return value.description
    }

    /// Escapes a label value: backslash, double quote and newline.
    static func escapeLabel(_ value: String) -> String { escape(value, quotes: true) }

    /// Escapes HELP text: backslash and newline.
    static func escapeHelp(_ value: String) -> String { escape(value, quotes: false) }

    private static func escape(_ value: String, quotes: Bool) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"" where quotes: out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    struct MetricText {
        var text = ""

        /// What every report that dumps the table says about the dump itself.
        mutating func dumpHealth(prefix: String, dump: DumpResult, which: String) {
            gauge(
                "\(prefix)_interrupted", "1 if the kernel flagged \(which) as interrupted (NLM_F_DUMP_INTR): entries may be missing.",
                dump.interrupted ? 1 : 0)
            gauge(
                "\(prefix)_duplicates", "Entries the kernel sent twice during \(which) (same id, original tuple and zone), counted once.",
                Double(dump.duplicates))
            gauge(
                "\(prefix)_malformed_messages", "Conntrack messages from the kernel that failed to decode and were skipped.",
                Double(dump.malformed))
        }

        mutating func gauge(_ name: String, _ help: String, _ value: Double) {
            gauge(name, help, [([:], value)])
        }

        mutating func gauge(_ name: String, _ help: String, _ samples: [([String: String], Double)]) {
            family(name, help, type: "gauge", samples)
        }

        /// A value that only grows (a reset or wrap is a restart to rate()); the name ends in `_total`.
        mutating func counter(_ name: String, _ help: String, _ samples: [([String: String], Double)]) {
            family(name, help, type: "counter", samples)
        }

        private mutating func family(_ name: String, _ help: String, type: String, _ samples: [([String: String], Double)]) {
            text += "# HELP \(name) \(PrometheusWriter.escapeHelp(help))\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples {
                text += name
                if !labels.isEmpty {
                    let pairs = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(PrometheusWriter.escapeLabel($0.value))\"" }
                    text += "{" + pairs.joined(separator: ",") + "}"
                }
                text += " " + PrometheusWriter.format(value) + "\n"
            }
        }
    }
}
