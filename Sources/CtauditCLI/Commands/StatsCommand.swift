import ArgumentParser
import Conntrack
import Engines
import NodeState
import Reports

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show conntrack counters, table fill and NAT port pressure.",
        discussion: """
            Reads, over netlink and read-only: the per-CPU conntrack counters that 'conntrack -S' \
            shows (found, invalid, insert, insert_failed, drop, early_drop, error, search_restart, \
            clash_resolve, chaintoolong), summed or per CPU; the table's entry count against \
            nf_conntrack_max ('conntrack -C'); and NAT port pressure: for each translated address, \
            destination, destination port and protocol, how many ports are in use and which share of \
            the allowed range that is. A space that fills up makes NAT pick ports outside the range \
            (remaps, violations) or fail (insert_failed): the early warning.

            --pod-cidr/--exclude-dst choose which destinations are listed (those with a source-NATed pod \
            flow); every entry holding a port towards them is counted, the node's own included.

            --format prometheus (or --textfile PATH besides any format) writes metrics for node_exporter's \
            textfile collector: ctaudit_stats_* names, which never clash with audit's (ctaudit_audit_*) \
            or watch's (ctaudit_watch_*), so the files share its directory (docs/METRICS.md). Counters are per CPU (cpu label); port pressure only as aggregates (the \
            highest share per protocol, spaces at least 50%/90% full), never per address or port.

            EXAMPLES
              ctaudit stats
              ctaudit stats --netns cni-1234 --per-cpu
              ctaudit stats -o json --top 0 | jq '.nat.port_pressure[0]'
              ctaudit stats --quiet \\
                  --textfile /var/lib/node_exporter/textfile_collector/ctaudit-stats.prom

            EXIT STATUS: 0 read, 2 bad usage, 3 environment (not root / no CAP_NET_ADMIN, conntrack \
            netlink or namespace unavailable). Use 'audit' to fail a check on violations.
            """
    )

    enum Format: String, ReportFormat {
        case text
        case json
        /// Prometheus text exposition (node_exporter textfile collector).
        case prometheus

        static let formatHelp = "Output format: text, json, or prometheus (textfile format, the same as --textfile writes)."
    }

    @OptionGroup var target: TargetOptions<NodeRootOptions, StatsWording>
    @OptionGroup var textfile: TextfileOptions

    @OptionGroup var reportOutput: ReportOutputOptions<Format>

    @Flag(name: .customLong("per-cpu"), help: "Show the counters of each CPU as well as the sum.")
    var perCPU = false

    @Option(name: .long, help: ArgumentHelp("List the N most pressed port spaces; 0 lists all.", valueName: "n"))
    var top = 20

    func validate() throws {
        if top < 0 { throw ValidationError("--top must be 0 (all) or more, got \(top)") }
    }

    func run() throws {
        let report: StatsReport
        do {
            let resolved = try target.resolve()
            report = try StatsCollector(policy: resolved.policy).run(namespace: resolved.namespace)
        } catch {
            // Stale counters must not stay in the textfile as if current.
            textfile.writeStatsFailure()
            throw error
        }
        try textfile.write(report)
        if let path = textfile.textfile { reportOutput.wrote(path, what: "metrics") }
        switch reportOutput.format {
        case .json: try reportOutput.emit(StatsJSONWriter.render(report, top: top))
        case .text:
            var writer = StatsTextWriter(color: reportOutput.wantsColor, perCPU: perCPU, top: top)
            writer.hints = .flags
            try reportOutput.emit(writer.render(report))
        case .prometheus: try reportOutput.emit(StatsPrometheusWriter.render(report, timestamp: SystemClock.unixSeconds()))
        }
    }
}
