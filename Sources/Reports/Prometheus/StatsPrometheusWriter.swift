import Conntrack
public import Engines

/// Writes `stats` in the Prometheus text exposition format for
/// node_exporter's textfile collector (docs/STATS.md lists every metric).
///
/// Every name starts with `ctaudit_stats_`, none is one of audit's or
/// watch's: the textfiles usually sit in the same collector directory, and
/// node_exporter fails the whole textfile collection when two files define
/// one name (docs/METRICS.md).
///
/// Labels are bounded: `cpu` (the possible CPUs), `proto` (protocols with
/// ports), `allowed` (the allowed range set) and `min_share` (two fixed
/// thresholds). Port pressure is exported only as aggregates — the most
/// pressed space and how many spaces pass each threshold — never per
/// address or port, so a node adds a fixed set of series however many
/// destinations it talks to.
public enum StatsPrometheusWriter {
    /// Shares of the allowed range that count a port space as pressed: half
    /// full (clashes grow) and nearly full (NAT runs out of allowed ports).
    static let thresholds: [(label: String, ppm: Int)] = [("0.5", 500_000), ("0.9", 900_000)]

    /// Protocols whose port-pressure series always exist (0 when unused), so
    /// `absent()` and `== 0` mean what they say.
    static let baselineProtocols: [IPProtocol] = [.tcp, .udp]

    /// What each conntrack -S counter means, by its name in `CPUStatistics.counters`.
    static let counterHelp: [String: String] = [
        "found": "Conntrack lookups that found an existing entry.",
        "invalid": "Packets conntrack could not track (malformed or in a bad state).",
        "insert": "Entries inserted (0 on recent kernels, which no longer count it).",
        "insert_failed": "Entries that could not be inserted because their tuple already existed (e.g. NAT found no free port).",
        "drop": "Packets dropped because no conntrack entry could be made or inserted.",
        "early_drop": "Entries evicted early because the conntrack table was full.",
        "error": "ICMP errors that did not match a known conntrack entry.",
        "search_restart": "Conntrack lookups restarted because a hash chain changed under them.",
        "clash_resolve": "Insert clashes (two packets creating the same entry) the kernel resolved.",
        "chaintoolong": "Inserts refused because a conntrack hash chain was too long.",
    ]

    /// A successful `stats` run. `timestamp` is the Unix time it finished.
    public static func render(_ report: StatsReport, timestamp: Double) -> String {
        var out = PrometheusWriter.MetricText()
        out.gauge(health.up, health.upHelp, 1)
        out.gauge(health.lastSuccess, health.lastSuccessHelp, timestamp)
        out.gauge(
            "ctaudit_stats_conntrack_entries", "Entries in the read namespace's conntrack table.",
            Double(report.tableSize.entries))
        if let maximum = report.tableSize.maximum {
            out.gauge("ctaudit_stats_conntrack_entries_limit", "nf_conntrack_max, the host-wide conntrack table limit.", Double(maximum))
        }
        // Always per CPU: the kernel keeps 32-bit counters per CPU that wrap
        // on their own; a sum would drop by 2^32 when one CPU wraps, and
        // rate() would take that for a reset of the whole sum.
        if !report.cpus.isEmpty {
            for (position, counter) in CPUStatistics().counters.enumerated() {
                let samples = report.cpus.enumerated().map { index, cpu in
                    (["cpu": String(cpu.cpu ?? index)], Double(cpu.counters[position].value))
                }
                out.counter(
                    "ctaudit_stats_conntrack_\(counter.name)_total",
                    (counterHelp[counter.name] ?? "conntrack -S \(counter.name).") + " Per CPU; 32-bit in the kernel, wraps.",
                    samples)
            }
        }

        let allowed = report.policy.allowed.description
        out.gauge(
            "ctaudit_stats_allowed_ports", "Translated source ports the upstream firewall lets replies back to.",
            [(["allowed": allowed], Double(report.policy.allowed.count))])
        out.gauge(
            "ctaudit_stats_snat_flows", "Source-NATed pod flows (in the policy's scope) in the read conntrack table.",
            Double(report.snat))

        var byProtocol: [IPProtocol: (spaces: Int, maxPPM: Int, pressed: [Int])] = [:]
        for proto in baselineProtocols { byProtocol[proto] = (0, 0, thresholds.map { _ in 0 }) }
        for group in report.pressures {
            var entry = byProtocol[group.proto] ?? (0, 0, thresholds.map { _ in 0 })
            entry.spaces += 1
            entry.maxPPM = max(entry.maxPPM, group.sharePPM)
            for (index, threshold) in thresholds.enumerated() where group.sharePPM >= threshold.ppm {
                entry.pressed[index] += 1
            }
            byProtocol[group.proto] = entry
        }
        let protocols = byProtocol.keys.sorted()
        func labels(_ proto: IPProtocol) -> [String: String] { ["allowed": allowed, "proto": proto.name] }
        out.gauge(
            "ctaudit_stats_nat_port_spaces",
            "NAT port spaces (translated address, destination, destination port, protocol) holding a source-NATed pod flow.",
            protocols.map { (labels($0), Double(byProtocol[$0]!.spaces)) })
        out.gauge(
            "ctaudit_stats_nat_port_pressure_max_ratio",
            "Highest share (0-1) of the allowed port range in use in any one NAT port space.",
            protocols.map { (labels($0), Double(byProtocol[$0]!.maxPPM) / 1_000_000) })
        out.gauge(
            "ctaudit_stats_nat_pressed_port_spaces",
            "NAT port spaces using at least min_share of the allowed port range.",
            protocols.flatMap { proto in
                thresholds.indices.map { index in
                    (
                        labels(proto).merging(["min_share": thresholds[index].label]) { $1 },
                        Double(byProtocol[proto]!.pressed[index])
                    )
                }
            })
        out.dumpHealth(prefix: "ctaudit_stats_dump", dump: report.dump, which: "the port-pressure dump")
        return out.text
    }

    /// A failed run: only the error gauge and, carried over from the previous
    /// file, the time of the last success, so stale counters are not served
    /// as current and `time() - last_success` keeps growing.
    public static func renderFailure(previousSuccess: Double?) -> String {
        PrometheusWriter.failureText(health: health, previousSuccess: previousSuccess)
    }

    /// The last-success time recorded in an earlier stats textfile, if any.
    public static func lastSuccess(inTextfile text: String) -> Double? {
        PrometheusWriter.lastSuccess(inTextfile: text, health: health)
    }

    static let health = PrometheusWriter.HealthMetrics(
        up: "ctaudit_stats_up",
        upHelp: "1 if the last ctaudit stats run succeeded, 0 if it failed (the reason is on its stderr).",
        lastSuccess: "ctaudit_stats_last_success_timestamp_seconds",
        lastSuccessHelp: "Unix time the last successful ctaudit stats run finished.")
}
