import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

@Suite("Merge")
struct MergeTests {

    @Test func combinesPerNodePerDestinationAndOffenders() throws {
        let merged = try ReportMerger.merge(MergeFixtures.inputs())
        #expect(merged.nodes.count == 3)
        #expect(merged.superseded == ["reports/node-1-old.json"])
        #expect(merged.totalViolations == 8)
        #expect(merged.affectedNodes == 2)
        #expect(merged.nodes.last?.host == "node-3")
        let top = try #require(merged.destinations.first)
        #expect(top.address == "203.0.113.10" && top.port == 8080 && top.proto == "tcp")
        #expect(top.violations == 4 && top.nodes.count == 2 && top.pods.count == 2)
        #expect(merged.offenders.count == 6)
        #expect(merged.offenders.first?.translatedPorts == [1500, 23310])
    }

    /// A node that named its pods: the fleet view names them too.
    @Test func offendersCarryThePodNamesNodesFound() throws {
        var report = ReportsFixtures.report(host: "node-9", netns: nil)
        var identity = PodIdentity(ip: report.violations[0].podSource)
        identity.name = "web-1"
        identity.namespace = "shop"
        report.violations.attributePods([identity.ip: identity])
        let merged = try ReportMerger.merge([("node-9.json", MergeFixtures.bytes(report))])
        let named = merged.offenders.filter { $0.pod == identity.ip.description }
        #expect(!named.isEmpty && named.allSatisfy { $0.podName == "shop/web-1" })
        #expect(merged.offenders.filter { $0.pod != identity.ip.description }.allSatisfy { $0.podName == nil })
        #expect(MergedReportWriter.text(merged, top: 20).contains("\(identity.ip) shop/web-1"))
    }

    @Test func newestReportOfANodeWinsWhateverTheOrder() throws {
        let merged = try ReportMerger.merge(MergeFixtures.inputs().reversed())
        #expect(merged.superseded == ["reports/node-1-old.json"])
        #expect(merged.nodes.first { $0.host == "node-1" }?.generatedAt == "2026-11-25T05:00:00Z")
    }

    @Test func textMatchesGolden() throws {
        let merged = try ReportMerger.merge(MergeFixtures.inputs())
        Golden.expectMatches("merge-report.txt", MergedReportWriter.text(merged, top: 20))
    }

    @Test func jsonMatchesGoldenAndParses() throws {
        let merged = try ReportMerger.merge(MergeFixtures.inputs())
        let json = MergedReportWriter.json(merged, top: 20)
        Golden.expectMatches("merge-report.json", json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "ctaudit.merge/v1")
    }

    @Test func topLimitsTheLists() throws {
        let merged = try ReportMerger.merge(MergeFixtures.inputs())
        #expect(MergedReportWriter.text(merged, top: 1).contains("… and 5 more offenders (a larger limit)"))
        let text = MergedReportWriter.text(merged, top: 1, hints: .marked)
        #expect(text.contains("… and 5 more offenders («moreRows»)"))
    }

    @Test(arguments: [
        ("not json", "not a JSON object"),
        ("{\"schema\": \"ctaudit.stats/v1\"}", "schema is 'ctaudit.stats/v1', expected 'ctaudit.audit/v1'"),
        ("{\"host\": \"x\"}", "schema is missing"),
        ("{\"schema\": \"ctaudit.audit/v1\", \"host\": \"x\"}", "missing field"),
        ("{\"schema\": \"ctaudit.audit/v1\", \"host\": 7}", "field 'host' has the wrong type"),
    ])
    func rejectsWhatIsNotAnAuditReport(text: String, message: String) {
        do {
            _ = try ReportMerger.merge([("bad.json", Array(text.utf8))])
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.hasPrefix("bad.json: "))
            #expect(error.description.contains(message), "\(error)")
        }
    }

    @Test func loadNamesMissingFilesAndDirectories() throws {
        let directory = try ReportsFixtures.temporaryDirectory("merge")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: InputFileError(path: directory.path, reason: "is a directory; pass the files, e.g. \(directory.path)/*.json")) {
            try ReportMerger.load(paths: [directory.path])
        }
        let missing = directory.appendingPathComponent("none.json").path
        #expect(throws: InputFileError.self) { try ReportMerger.load(paths: [missing]) }
        let file = directory.appendingPathComponent("a.json")
        try Data(MergeFixtures.bytes(ReportsFixtures.report())).write(to: file)
        #expect(try ReportMerger.load(paths: [file.path]).totalViolations == 4)
    }
}
