import Foundation
import TestSupport
import Testing

/// deploy/grafana/ctaudit.json: the panels the issue asks for, and every
/// expression valid PromQL by promtool's own parser. That the expressions
/// name only metrics ctaudit really emits is checked against the lab's real
/// textfiles in IntegrationTests (DeployMetricsLabTests), the one place
/// that knows the names.
@Suite("Deploy: Grafana dashboard")
struct GrafanaDashboardTests {
    static let file = DeployFiles.grafanaDashboard

    static func dashboard() throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
    }

    static func panels() throws -> [[String: Any]] {
        (try dashboard()["panels"] as? [[String: Any]] ?? []).filter { $0["type"] as? String != "row" }
    }

    /// Every PromQL expression: panel targets, then variable queries' metrics.
    static func expressions() throws -> [String] {
        try panels().flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
    }

    /// Grafana's variables, replaced by values of their kind so promtool can parse the expression.
    static func substituted(_ expression: String) -> String {
        expression.replacingOccurrences(of: "$__rate_interval", with: "5m")
            .replacingOccurrences(of: "$__range", with: "6h")
            .replacingOccurrences(of: "$node", with: ".*")
    }

    @Test func hasThePanelsAnOperatorNeeds() throws {
        let titles = try Self.panels().compactMap { $0["title"] as? String }
        for wanted in [
            "Verdict per node", "Violating flows by node, protocol and family (watch)",
            "Violating flows by node, protocol and family (audit)", "Unreplied violating flows", "Events lost",
            "Allowed range", "NAT port pressure", "Last success",
        ] {
            #expect(titles.contains(wanted), "no panel \(wanted)")
        }
        let expressions = try Self.expressions().joined(separator: "\n")
        #expect(expressions.contains("sum by (instance, proto, family) (increase(ctaudit_watch_violation_flows_total"))
        for panel in try Self.panels() {
            let targets = panel["targets"] as? [[String: Any]] ?? []
            #expect(!targets.isEmpty, "\(panel["title"] ?? "?") has no query")
            #expect((panel["datasource"] as? [String: String])?["uid"] == "${datasource}", "\(panel["title"] ?? "?")")
            #expect(!(panel["description"] as? String ?? "").isEmpty)
        }
        // The sidecar imports it as is: a fixed uid, a datasource variable instead of a named datasource.
        let dashboard = try Self.dashboard()
        #expect(dashboard["uid"] as? String == "ctaudit")
        let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        #expect(variables.contains { $0["type"] as? String == "datasource" && $0["query"] as? String == "prometheus" })
    }

    @Test(.enabled(if: ExternalTool.has("promtool"), "promtool missing: apt-get install prometheus (make test-deps does)"))
    func everyExpressionIsValidPromQL() throws {
        let expressions = try Self.expressions()
        #expect(expressions.count >= 15)
        let directory = try ReportsFixtures.temporaryDirectory("dashboard")
        defer { try? FileManager.default.removeItem(at: directory) }
        // One recording rule per expression: promtool parses each with Prometheus's parser.
        var rules = "groups:\n  - name: dashboard\n    rules:\n"
        for (index, expression) in expressions.enumerated() {
            let quoted = Self.substituted(expression).replacingOccurrences(of: "'", with: "''")
            rules += "      - record: dashboard:expression_\(index)\n        expr: '\(quoted)'\n"
        }
        let file = directory.appendingPathComponent("dashboard.rules.yml")
        try rules.write(to: file, atomically: true, encoding: .utf8)
        let result = try ExternalTool.run("promtool", ["check", "rules", file.path])
        #expect(result.status == 0, "promtool: \(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("SUCCESS: \(expressions.count) rules found"), "\(result.stdout)")
        // And promtool is not just accepting anything.
        try "groups:\n  - name: x\n    rules:\n      - record: x:y\n        expr: 'sum by (instance (ctaudit_watch_up)'\n"
            .write(to: file, atomically: true, encoding: .utf8)
        #expect(try ExternalTool.run("promtool", ["check", "rules", file.path]).status != 0)
    }
}
