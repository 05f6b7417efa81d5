import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

@Suite("Reports: Prometheus textfile")
struct ReportsPrometheusTests {
    static let timestamp = 1_795_582_580.5

    @Test func matchesGolden() throws {
        let text = PrometheusWriter.render(ReportsFixtures.report(), timestamp: Self.timestamp)
        Golden.expectMatches("audit-report.prom", text)
    }

    @Test func violationCountsAddUpByProtocolAndFamily() {
        let text = PrometheusWriter.render(ReportsFixtures.report(), timestamp: Self.timestamp)
        #expect(
            text.contains(
                "ctaudit_audit_violation_flows{allowed=\"32768-65535\",dataplane=\"conntrack\",family=\"ipv4\",proto=\"tcp\"} 2\n"))
        #expect(
            text.contains(
                "ctaudit_audit_violation_flows{allowed=\"32768-65535\",dataplane=\"conntrack\",family=\"ipv6\",proto=\"tcp\"} 1\n"))
        #expect(
            text.contains(
                "ctaudit_audit_violation_flows{allowed=\"32768-65535\",dataplane=\"conntrack\",family=\"ipv4\",proto=\"udp\"} 1\n"))
        #expect(
            text.contains(
                "ctaudit_audit_violation_unreplied_flows{allowed=\"32768-65535\",dataplane=\"conntrack\",family=\"ipv4\",proto=\"udp\"} 0\n"
            ))
        #expect(
            text.contains(
                "ctaudit_audit_violation_kept_port_flows{allowed=\"32768-65535\",dataplane=\"conntrack\",family=\"ipv4\",proto=\"udp\"} 1\n"
            ))
        #expect(text.contains("ctaudit_audit_up 1\n"))
        #expect(text.contains("ctaudit_audit_last_success_timestamp_seconds 1795582580.5\n"))
    }

    @Test func cleanAuditStillExportsZeroSeries() {
        let text = PrometheusWriter.render(ReportsFixtures.report(clean: true), timestamp: Self.timestamp)
        let series = text.split(separator: "\n").filter { $0.hasPrefix("ctaudit_audit_violation_flows{") }
        #expect(series.count == 4)
        #expect(series.allSatisfy { $0.hasSuffix(" 0") })
    }

    @Test func labelsAreBoundedNoPerFlowValues() {
        let text = PrometheusWriter.render(ReportsFixtures.report(), timestamp: Self.timestamp)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(!line.contains("10.244."), "per-flow label leaked: \(line)")
            #expect(!line.contains("203.0.113."), "per-flow label leaked: \(line)")
            let labelNames =
                line.split(separator: "{").dropFirst().first?.split(separator: "}").first?
                .split(separator: ",").map { $0.split(separator: "=").first.map(String.init) ?? "" } ?? []
            // verdict takes one of four fixed values (AuditVerdict).
            #expect(Set(labelNames).isSubset(of: ["allowed", "dataplane", "family", "proto", "verdict"]), "unexpected label in \(line)")
        }
    }

    @Test func failureKeepsLastSuccessAndDropsStaleCounts() throws {
        let success = PrometheusWriter.render(ReportsFixtures.report(), timestamp: Self.timestamp)
        let previous = try #require(PrometheusWriter.lastSuccess(inTextfile: success))
        #expect(previous == Self.timestamp)
        let failure = PrometheusWriter.renderFailure(previousSuccess: previous)
        #expect(failure.contains("ctaudit_audit_up 0\n"))
        #expect(failure.contains("ctaudit_audit_last_success_timestamp_seconds 1795582580.5\n"))
        #expect(!failure.contains("ctaudit_audit_violation_flows"))
        #expect(PrometheusWriter.renderFailure(previousSuccess: nil).contains("ctaudit_last_success") == false)
    }

    @Test(arguments: [
        ("plain", "plain"), ("a\"b", "a\\\"b"), ("back\\slash", "back\\\\slash"), ("two\nlines", "two\\nlines"),
    ])
    func labelValuesAreEscaped(raw: String, escaped: String) {
        #expect(PrometheusWriter.escapeLabel(raw) == escaped)
    }

    @Test(arguments: [(0.0, "0"), (42.0, "42"), (0.25, "0.25"), (1_795_582_580.5, "1795582580.5"), (Double.nan, "NaN")])
    func sampleValuesAreFormatted(value: Double, text: String) {
        #expect(PrometheusWriter.format(value) == text)
    }

    @Test(.enabled(if: ExternalTool.has("promtool"), "promtool missing: apt-get install prometheus (make deps does)"))
    func promtoolCheckMetricsIsClean() throws {
        for text in [
            PrometheusWriter.render(ReportsFixtures.report(), timestamp: Self.timestamp),
            PrometheusWriter.render(ReportsFixtures.report(clean: true), timestamp: Self.timestamp),
            PrometheusWriter.renderFailure(previousSuccess: Self.timestamp),
        ] {
            let result = try ExternalTool.run("promtool", ["check", "metrics"], stdin: text)
            #expect(result.status == 0, "promtool: \(result.stdout)\(result.stderr)")
            #expect(result.stdout.isEmpty && result.stderr.isEmpty, "promtool lint: \(result.stdout)\(result.stderr)")
        }
    }
}
