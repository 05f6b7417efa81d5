import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

@Suite("Reports: NDJSON")
struct ReportsNDJSONTests {
    @Test func oneParsableLinePerViolationWithContext() throws {
        let report = ReportsFixtures.report()
        let text = NDJSONWriter.render(report)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == report.violations.count)
        for (line, violation) in zip(lines, report.violations) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["schema"] as? String == "ctaudit.violation/v1")
            #expect(object["host"] as? String == "node-1")
            #expect(object["netns"] as? String == "ctlab-node")
            #expect(object["allowed"] as? String == "32768-65535")
            let translated = try #require(object["translated"] as? [String: Any])
            #expect(translated["sport"] as? Int == Int(violation.translatedPort))
        }
    }

    @Test func cleanAuditWritesNothing() {
        #expect(NDJSONWriter.render(ReportsFixtures.report(clean: true)).isEmpty)
    }

    @Test func matchesGolden() throws {
        Golden.expectMatches("audit-report.ndjson", NDJSONWriter.render(ReportsFixtures.report()))
    }
}
