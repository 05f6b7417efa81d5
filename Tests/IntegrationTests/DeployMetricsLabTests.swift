import Foundation
import Testing

/// The one check that a dashboard panel or an alert names only metrics
/// ctaudit really writes: the lab's audit, stats and watch textfiles (real
/// binary, real kernel, the incident's traffic) are the list of names, and
/// deploy/grafana/ctaudit.json and deploy/ctaudit-alerts.rules.yml (which
/// the chart's PrometheusRule carries as is) may use no other. A metric
/// renamed in a writer fails here, naming the panel or alert that still
/// uses the old name.
@Suite("Deploy: dashboard and alerts name metrics the lab's textfiles hold")
struct DeployMetricsLabTests {
    static let deploy = Shell.packageRoot.appendingPathComponent("deploy")

    /// (where, expression) for every panel target, variable query and alert.
    static func expressions() throws -> [(String, String)] {
        var out: [(String, String)] = []
        let data = try Data(contentsOf: deploy.appendingPathComponent("grafana/ctaudit.json"))
        let dashboard = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        for panel in dashboard["panels"] as? [[String: Any]] ?? [] {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                if let expr = target["expr"] as? String { out.append(("panel \"\(panel["title"] ?? "?")\"", expr)) }
            }
        }
        for variable in (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? [] {
            if let query = (variable["query"] as? [String: Any])?["query"] as? String {
                out.append(("variable \(variable["name"] ?? "?")", query))
            }
        }
        let rules = try String(contentsOf: deploy.appendingPathComponent("ctaudit-alerts.rules.yml"), encoding: .utf8)
        var alert = "?"
        for line in rules.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("- alert:") { alert = String(text.dropFirst(8)).trimmingCharacters(in: .whitespaces) }
            if text.hasPrefix("expr:") { out.append(("alert \(alert)", String(text.dropFirst(5)).trimmingCharacters(in: .whitespaces))) }
        }
        return out
    }

    static func typedNames(_ text: String) -> Set<String> {
        Set(
            text.split(separator: "\n").compactMap { line in
                line.hasPrefix("# TYPE ") ? line.split(separator: " ").dropFirst(2).first.map(String.init) : nil
            })
    }

    @Test func metricNamesAreReadTheWayPrometheusReadsThem() {
        #expect(
            PromQLMetricNames.names(
                in: #"sum by (instance, proto) (increase(ctaudit_a_total{instance=~"$node",x="y}"}[$__rate_interval]))"#)
                == ["ctaudit_a_total"])
        #expect(
            PromQLMetricNames.names(in: "time() - max by (instance) (ctaudit_b > 0) / on(instance) group_left(verdict) ctaudit_c offset 5m")
                == ["ctaudit_b", "ctaudit_c"])
        #expect(
            PromQLMetricNames.names(in: #"max_over_time(ctaudit_d[1h:5m]) + 1.5e3 and bool ctaudit_e{min_share="0.9"}"#)
                == ["ctaudit_d", "ctaudit_e"])
        #expect(PromQLMetricNames.names(in: "label_values(ctaudit_audit_allowed_ports, instance)") == ["ctaudit_audit_allowed_ports"])
        #expect(
            PromQLMetricNames.names(in: #"label_values({__name__=~"ctaudit_audit_up|ctaudit_watch_up"}, instance)"#) == [
                "ctaudit_audit_up", "ctaudit_watch_up",
            ])
        #expect(PromQLMetricNames.names(in: "sum without (cpu) (rate(ctaudit_stats_x_total[5m])) > 0") == ["ctaudit_stats_x_total"])
    }

    @Test(.enabled(if: Shell.isRoot && Shell.has("conntrack"), "needs root to build the lab"))
    func dashboardAndAlertsUseOnlyEmittedMetrics() throws {
        let lab = try Lab.up("dm")
        defer { lab.down() }
        let connections = try lab.traffic(pairs: 2, timeout: 1)
        #expect(connections.contains { $0.timedOut }, "the lab made violations")
        let directory = NSTemporaryDirectory() + "ctaudit-dm-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let common = ["--netns", lab.nodeNamespace, "--no-config", "--pod-cidr", "10.244.0.0/24", "--pod-cidr", "fd00:10:244::/64"]
        var emitted = Set<String>()
        for (command, extra) in [("audit", ["--quiet"]), ("stats", ["--quiet"]), ("watch", ["--duration", "1"])] {
            let textfile = "\(directory)/\(command).prom"
            let result = try Shell.run(Shell.ctauditBinary, [command] + common + extra + ["--textfile", textfile])
            #expect([0, 1].contains(result.status), "\(command): \(result.stderr)")
            let names = Self.typedNames(try String(contentsOfFile: textfile, encoding: .utf8))
            #expect(names.count > 5, "\(command) wrote \(names)")
            emitted.formUnion(names)
        }
        let expressions = try Self.expressions()
        #expect(expressions.count > 20)
        var used = Set<String>()
        for (place, expression) in expressions {
            let names = PromQLMetricNames.names(in: expression)
            #expect(!names.isEmpty, "\(place): no metric in \(expression)")
            for name in names {
                used.insert(name)
                #expect(emitted.contains(name), "\(place) uses \(name), which no textfile of audit, stats or watch holds: \(expression)")
            }
        }
        // The panels the issue names are there: counters, unreplied, events lost, range, pressure, verdict, last success.
        #expect(
            used.isSuperset(of: [
                "ctaudit_watch_violation_flows_total", "ctaudit_watch_violation_unreplied_flows_total", "ctaudit_watch_events_lost_total",
                "ctaudit_audit_allowed_ports", "ctaudit_watch_allowed_ports", "ctaudit_stats_nat_port_pressure_max_ratio",
                "ctaudit_audit_verdict",
                "ctaudit_audit_last_success_timestamp_seconds",
            ]))
    }
}
