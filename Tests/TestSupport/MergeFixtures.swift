import Conntrack
import Engines
import Foundation
import NodeState
import Policy
import Reports

/// Shared fixtures (moved out of MergeTests so that other suites need not reach into it).
package enum MergeFixtures {
    /// Three nodes (one clean) and an older report of node-1 that must not count.
    package static func inputs() -> [(path: String, bytes: [UInt8])] {
        [
            ("reports/node-1.json", bytes(ReportsFixtures.report(host: "node-1", generatedAt: "2026-11-25T05:00:00Z"))),
            ("reports/node-2.json", bytes(ReportsFixtures.report(host: "node-2", netns: nil, generatedAt: "2026-11-25T05:00:10Z"))),
            ("reports/node-3.json", bytes(ReportsFixtures.report(host: "node-3", netns: nil, clean: true))),
            ("reports/node-1-old.json", bytes(ReportsFixtures.report(host: "node-1", generatedAt: "2026-11-25T04:00:00Z"))),
        ]
    }

    package static func bytes(_ report: AuditReport) -> [UInt8] { Array(JSONReportWriter.render(report).utf8) }
}
