import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

@Suite("stats: Prometheus textfile")
struct StatsPrometheusWriterTests {
    static let timestamp = 1_795_582_687.25

    /// Samples by series (`name{labels}`) and families by name with their TYPE.
    static func parse(_ text: String) -> (samples: [String: Double], types: [String: String]) {
        var samples: [String: Double] = [:]
        var types: [String: String] = [:]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                types[String(parts[2])] = String(parts[3])
            } else if !line.hasPrefix("#"), let space = line.lastIndex(of: " ") {
                samples[String(line[..<space])] = Double(line[line.index(after: space)...])
            }
        }
        return (samples, types)
    }

    @Test func matchesGolden() throws {
        let text = StatsPrometheusWriter.render(StatsFixtures.report(), timestamp: Self.timestamp)
        Golden.expectMatches("stats-report.prom", text)
    }

    @Test("counters are per CPU, typed counter, named _total; table entries against the limit")
    func countersPerCPUAndTable() {
        let (samples, types) = Self.parse(StatsPrometheusWriter.render(StatsFixtures.report(), timestamp: Self.timestamp))
        #expect(samples[#"ctaudit_stats_conntrack_found_total{cpu="0"}"#] == 16)
        #expect(samples[#"ctaudit_stats_conntrack_found_total{cpu="1"}"#] == 4)
        #expect(samples[#"ctaudit_stats_conntrack_insert_failed_total{cpu="0"}"#] == 2)
        #expect(samples[#"ctaudit_stats_conntrack_early_drop_total{cpu="1"}"#] == 1)
        // Every conntrack -S counter, for every CPU.
        for name in CPUStatistics().counters.map(\.name) {
            #expect(types["ctaudit_stats_conntrack_\(name)_total"] == "counter", "\(name)")
            #expect(samples.keys.filter { $0.hasPrefix("ctaudit_stats_conntrack_\(name)_total{") }.count == 2, "\(name)")
        }
        #expect(samples["ctaudit_stats_conntrack_entries"] == 41)
        #expect(samples["ctaudit_stats_conntrack_entries_limit"] == 262144)
        #expect(samples["ctaudit_stats_up"] == 1)
        #expect(samples["ctaudit_stats_last_success_timestamp_seconds"] == Self.timestamp)
        #expect(samples["ctaudit_stats_dump_malformed_messages"] == 1)
        #expect(types.filter { $0.value != "counter" }.allSatisfy { $0.value == "gauge" })
    }

    @Test("port pressure as aggregates per protocol: highest share, spaces at least half and 90% full")
    func portPressureAggregates() {
        let (samples, _) = Self.parse(StatsPrometheusWriter.render(StatsFixtures.report(), timestamp: Self.timestamp))
        let tcp = #"allowed="60000-60009",proto="tcp""#
        let udp = #"allowed="60000-60009",proto="udp""#
        let sctp = #"allowed="60000-60009",proto="sctp""#
        // Label names are sorted: min_share sits between allowed and proto.
        func pressed(_ proto: String, _ share: String) -> String {
            "ctaudit_stats_nat_pressed_port_spaces{allowed=\"60000-60009\",min_share=\"\(share)\",proto=\"\(proto)\"}"
        }
        #expect(samples["ctaudit_stats_nat_port_spaces{\(tcp)}"] == 3)
        #expect(samples["ctaudit_stats_nat_port_pressure_max_ratio{\(tcp)}"] == 0.9)
        #expect(samples[pressed("tcp", "0.5")] == 2)
        #expect(samples[pressed("tcp", "0.9")] == 1)
        #expect(samples["ctaudit_stats_nat_port_spaces{\(udp)}"] == 1)
        #expect(samples["ctaudit_stats_nat_port_pressure_max_ratio{\(udp)}"] == 0.2)
        #expect(samples[pressed("udp", "0.5")] == 0)
        // A protocol beyond tcp/udp appears when it has a space.
        #expect(samples["ctaudit_stats_nat_port_spaces{\(sctp)}"] == 1)
        #expect(samples["ctaudit_stats_nat_port_pressure_max_ratio{\(sctp)}"] == 0)
        #expect(samples[#"ctaudit_stats_allowed_ports{allowed="60000-60009"}"#] == 10)
        #expect(samples["ctaudit_stats_snat_flows"] == 19)
    }

    @Test("no port spaces: the tcp and udp series still exist, at zero")
    func emptyTableKeepsBaselineSeries() {
        let (samples, _) = Self.parse(StatsPrometheusWriter.render(StatsFixtures.report(empty: true), timestamp: Self.timestamp))
        for proto in ["tcp", "udp"] {
            let labels = "allowed=\"60000-60009\",proto=\"\(proto)\""
            #expect(samples["ctaudit_stats_nat_port_spaces{\(labels)}"] == 0)
            #expect(samples["ctaudit_stats_nat_port_pressure_max_ratio{\(labels)}"] == 0)
            #expect(samples["ctaudit_stats_nat_pressed_port_spaces{allowed=\"60000-60009\",min_share=\"0.9\",proto=\"\(proto)\"}"] == 0)
        }
        #expect(!samples.keys.contains { $0.contains("sctp") })
    }

    @Test("labels are bounded: no address or port of any flow leaks into a series")
    func labelsAreBounded() {
        let text = StatsPrometheusWriter.render(StatsFixtures.report(), timestamp: Self.timestamp)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            for leak in ["10.244.", "203.0.113.", "198.51.100.", "443", "8080", "3868"] {
                #expect(!line.contains(leak), "per-flow value leaked: \(line)")
            }
            let labelNames =
                line.split(separator: "{").dropFirst().first?.split(separator: "}").first?
                .split(separator: ",").map { $0.split(separator: "=").first.map(String.init) ?? "" } ?? []
            #expect(Set(labelNames).isSubset(of: ["allowed", "cpu", "proto", "min_share"]), "unexpected label in \(line)")
        }
    }

    /// Both textfiles live in one node_exporter directory, which refuses a
    /// name defined twice with different HELP/TYPE, and a series exported twice.
    @Test func namesNeverCollideWithAuditMetrics() {
        let audit = Self.parse(PrometheusWriter.render(ReportsFixtures.report(), timestamp: Self.timestamp)).types.keys
        let auditFailure = Self.parse(PrometheusWriter.renderFailure(previousSuccess: 1)).types.keys
        let stats = Self.parse(StatsPrometheusWriter.render(StatsFixtures.report(), timestamp: Self.timestamp)).types.keys
        let statsFailure = Self.parse(StatsPrometheusWriter.renderFailure(previousSuccess: 1)).types.keys
        #expect(Set(audit).union(auditFailure).isDisjoint(with: Set(stats).union(statsFailure)))
        #expect(stats.allSatisfy { $0.hasPrefix("ctaudit_stats_") })
    }

    @Test func failureKeepsLastSuccessAndDropsStaleCounters() throws {
        let success = StatsPrometheusWriter.render(StatsFixtures.report(), timestamp: Self.timestamp)
        let previous = try #require(StatsPrometheusWriter.lastSuccess(inTextfile: success))
        #expect(previous == Self.timestamp)
        // audit's file is not mistaken for stats' (and the other way round).
        #expect(StatsPrometheusWriter.lastSuccess(inTextfile: PrometheusWriter.render(ReportsFixtures.report(), timestamp: 5)) == nil)
        #expect(PrometheusWriter.lastSuccess(inTextfile: success) == nil)
        let failure = StatsPrometheusWriter.renderFailure(previousSuccess: previous)
        #expect(failure.contains("ctaudit_stats_up 0\n"))
        #expect(failure.contains("ctaudit_stats_last_success_timestamp_seconds 1795582687.25\n"))
        #expect(!failure.contains("_total"))
        #expect(!StatsPrometheusWriter.renderFailure(previousSuccess: nil).contains("last_success"))
    }

    @Test(.enabled(if: ExternalTool.has("promtool"), "promtool missing: apt-get install prometheus (make deps does)"))
    func promtoolCheckMetricsIsClean() throws {
        for text in [
            StatsPrometheusWriter.render(StatsFixtures.report(), timestamp: Self.timestamp),
            StatsPrometheusWriter.render(StatsFixtures.report(empty: true), timestamp: Self.timestamp),
            StatsPrometheusWriter.renderFailure(previousSuccess: Self.timestamp),
            // Both files concatenated, as node_exporter merges them.
            StatsPrometheusWriter.render(StatsFixtures.report(), timestamp: Self.timestamp)
                + PrometheusWriter.render(ReportsFixtures.report(), timestamp: Self.timestamp),
        ] {
            let result = try ExternalTool.run("promtool", ["check", "metrics"], stdin: text)
            #expect(result.status == 0, "promtool: \(result.stdout)\(result.stderr)")
            #expect(result.stdout.isEmpty && result.stderr.isEmpty, "promtool lint: \(result.stdout)\(result.stderr)")
        }
    }
}
