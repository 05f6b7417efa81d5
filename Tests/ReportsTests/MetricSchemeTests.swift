import Conntrack
import Engines
import Foundation
import NodeState
import Policy
import Reports
import TestSupport
import Testing

/// One metric scheme (issue 23.4): each command's textfile has names only it
/// defines (`ctaudit_audit_`, `ctaudit_stats_`, `ctaudit_watch_`), so the
/// three share node_exporter's collector directory; one health gauge shape
/// (`ctaudit_<command>_up`, 1 = working); violation series carry the same
/// labels, `dataplane` included; docs/METRICS.md lists every name.
@Suite("Reports: one metric scheme")
struct MetricSchemeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var auditOnCilium: AuditReport {
        var report = ReportsFixtures.report()
        report.dataplanes = DataplaneSurvey(
            bpffs: "/sys/fs/bpf",
            maps: [
                DataplaneMapReading(
                    dataplane: .cilium, path: "/sys/fs/bpf/tc/globals/cilium_snat_v4_external",
                    outcome: .read(entries: 2, translations: 1, malformed: 0, unpaired: 0))
            ])
        return report
    }

    /// A live audit that looked for NodePort and listener overlap (issue 26.4).
    static var auditWithOverlap: AuditReport {
        var report = ReportsFixtures.report()
        var overlap = PortOverlap(
            nodePortRange: .kubernetesDefault,
            listeners: [ListeningSocket(proto: .tcp, address: IPAddress("0.0.0.0")!, port: 30005)])
        var tally = FlowOverlapTally(nodePortRange: overlap.nodePortRange.range, listeners: overlap.listeners ?? [])
        tally.add(FlowFactory.flow(translatedPort: 30005), ageSeconds: nil, dataplane: .conntrack)
        overlap.flows = tally
        report.portOverlap = overlap
        return report
    }

    static func watch(_ target: WatchMetricsWriter.Target, running: Bool = true) -> String {
        var tracker = WatchTracker(policy: WatchFixtures.policy)
        _ = WatchFixtures.feed(&tracker, .new, WatchFixtures.violation(id: 1))
        let context = WatchMetricsWriter.Context(
            startTimeSeconds: 1_700_000_000, allowed: WatchFixtures.policy.allowed,
            running: running, unwatchedDataplanes: [.cilium])
        return WatchMetricsWriter.render(tracker.counters, tracker.summary, context: context, target: target)
    }

    /// counters mode with the NAT rules re-checked (issue 26.3): one check, broken.
    static var watchWithRuleDrift: String {
        var context = WatchMetricsWriter.Context(startTimeSeconds: 1_700_000_000, allowed: WatchFixtures.policy.allowed)
        var drift = RuleDrift()
        drift.record(
            try! NodeCheck(allowed: .defaultAllowed, iptablesSaveFiles: RuleFixtures.files("k3s-flannel").iptables).run(),
            atSeconds: 1_700_000_100)
        context.rules = drift
        context.ruleCheckIntervalSeconds = 300
        return WatchMetricsWriter.render(WatchCounters(), WatchSummary(), context: context, target: .textfile)
    }

    /// Every file shape each command can write, keyed by command.
    static var textfiles: [(command: String, text: String)] {
        [
            ("audit", PrometheusWriter.render(auditOnCilium, timestamp: 1)),
            ("audit", PrometheusWriter.render(ReportsFixtures.report(clean: true), timestamp: 1)),
            ("audit", PrometheusWriter.render(auditWithOverlap, timestamp: 1)),
            ("audit", PrometheusWriter.renderFailure(previousSuccess: 1)),
            ("stats", StatsPrometheusWriter.render(StatsFixtures.report(), timestamp: 1)),
            ("stats", StatsPrometheusWriter.renderFailure(previousSuccess: 1)),
            ("watch", watch(.textfile)), ("watch", watch(.textfile, running: false)), ("watch", watchWithRuleDrift),
        ]
    }

    static func names(_ text: String) -> Set<String> {
        Set(text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) })
    }

    @Test func eachCommandNamesItsOwnMetrics() {
        for (command, text) in Self.textfiles {
            for name in Self.names(text) {
                #expect(name.hasPrefix("ctaudit_\(command)_"), "\(command) writes \(name)")
            }
            #expect(text.contains("# TYPE ctaudit_\(command)_up gauge\n"), "\(command) has the health gauge")
        }
        // /metrics adds Prometheus' own process_start_time_seconds (never in a textfile: node_exporter has its own).
        #expect(Self.names(Self.watch(.http)).subtracting(Self.names(Self.watch(.textfile))) == ["process_start_time_seconds"])
    }

    @Test func healthIsOneAfterSuccessAndZeroAfterFailure() {
        #expect(PrometheusWriter.render(ReportsFixtures.report(), timestamp: 1).hasPrefix("# HELP ctaudit_audit_up "))
        #expect(PrometheusWriter.render(ReportsFixtures.report(), timestamp: 1).contains("ctaudit_audit_up 1\n"))
        #expect(PrometheusWriter.renderFailure(previousSuccess: nil).contains("ctaudit_audit_up 0\n"))
        #expect(StatsPrometheusWriter.render(StatsFixtures.report(), timestamp: 1).contains("ctaudit_stats_up 1\n"))
        #expect(StatsPrometheusWriter.renderFailure(previousSuccess: nil).contains("ctaudit_stats_up 0\n"))
        #expect(Self.watch(.textfile).contains("ctaudit_watch_up 1\n"))
        #expect(Self.watch(.textfile, running: false).contains("ctaudit_watch_up 0\n"))
    }

    /// audit's gauges and watch's counters of violations: one label set, so
    /// one dashboard query can join them; a BPF dataplane has its own series.
    @Test func violationSeriesCarryTheSameLabelsWithDataplane() {
        let audit = PrometheusWriter.render(Self.auditOnCilium, timestamp: 1)
        let watch = Self.watch(.textfile)
        func labelSets(_ text: String, _ prefix: String) -> Set<String> {
            Set(
                text.split(separator: "\n").filter { $0.hasPrefix(prefix + "{") }.map { line in
                    let labels = line.split(separator: "{")[1].split(separator: "}")[0]
                    return labels.split(separator: ",").map { String($0.split(separator: "=")[0]) }.joined(separator: ",")
                })
        }
        #expect(labelSets(audit, "ctaudit_audit_violation_flows") == ["allowed,dataplane,family,proto"])
        #expect(labelSets(watch, "ctaudit_watch_violation_flows_total") == ["allowed,dataplane,family,proto"])
        #expect(labelSets(watch, "ctaudit_watch_violation_flows") == ["allowed,dataplane,family,proto"])
        #expect(
            audit.contains("ctaudit_audit_violation_flows{allowed=\"32768-65535\",dataplane=\"cilium\",family=\"ipv4\",proto=\"tcp\"} 0\n"))
        #expect(
            audit.contains(
                "ctaudit_audit_violation_flows{allowed=\"32768-65535\",dataplane=\"conntrack\",family=\"ipv4\",proto=\"tcp\"} 2\n"))
        #expect(audit.contains("ctaudit_audit_snat_flows{dataplane=\"cilium\"} 0\n"))
    }

    /// The three files in one collector directory: promtool reads their
    /// concatenation as node_exporter merges them (a name defined twice is
    /// "second HELP line for metric name").
    @Test(.enabled(if: ExternalTool.has("promtool"), "promtool missing: apt-get install prometheus (make deps does)"))
    func theTextfilesConcatenatedPassPromtool() throws {
        let directory = [
            PrometheusWriter.render(Self.auditOnCilium, timestamp: 1),
            StatsPrometheusWriter.render(StatsFixtures.report(), timestamp: 1),
            Self.watch(.textfile),
        ].joined()
        let result = try ExternalTool.run("promtool", ["check", "metrics"], stdin: directory)
        #expect(result.status == 0 && result.stdout.isEmpty && result.stderr.isEmpty, "promtool: \(result.stdout)\(result.stderr)")
    }

    /// docs/METRICS.md has one row per metric: every name a writer can emit.
    @Test func docsMetricsTableListsEveryName() throws {
        let doc = try String(contentsOf: Self.root.appendingPathComponent("docs/METRICS.md"), encoding: .utf8)
        var all = Self.textfiles.reduce(into: Set<String>()) { $0.formUnion(Self.names($1.text)) }
        all.formUnion(Self.names(Self.watch(.http)))
        for name in all.sorted() {
            let row =
                name.range(
                    of: #"_(found|invalid|insert|insert_failed|drop|early_drop|error|search_restart|clash_resolve|chaintoolong)_total$"#,
                    options: .regularExpression) != nil && name.hasPrefix("ctaudit_stats_conntrack_")
                ? "`ctaudit_stats_conntrack_{" : "| `\(name)` |"
            #expect(doc.contains(row), "docs/METRICS.md has no row for \(name)")
        }
    }
}
