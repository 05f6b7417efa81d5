import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

/// Merge tells each node's story as the node's own audit did: its verdict,
/// node-local count, dataplanes and unreadable maps, and a fleet verdict
/// never cleaner than its worst node.
@Suite("Merge: verdicts and dataplanes")
struct MergeVerdictTests {
    /// A node's audit JSON as an object, edited, and back to bytes.
    static func report(
        host: String, clean: Bool = true,
        _ edit: (inout [String: Any]) -> Void = { _ in }
    ) throws -> (path: String, bytes: [UInt8]) {
        let bytes = MergeFixtures.bytes(ReportsFixtures.report(host: host, netns: nil, clean: clean))
        var object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        edit(&object)
        return ("\(host).json", Array(try JSONSerialization.data(withJSONObject: object)))
    }

    /// A report that could not read a Cilium map (as `audit` writes it).
    static func unreadCilium(_ object: inout [String: Any]) {
        object["dataplanes"] =
            [
                "bpffs": "/sys/fs/bpf", "read": ["conntrack"],
                "counts": ["conntrack": ["flows": 120, "snat": 40, "remapped": 39, "violations": 0]],
                "maps": [
                    [
                        "dataplane": "cilium", "path": "/sys/fs/bpf/tc/globals/cilium_snat_v4_external", "read": false,
                        "entries": NSNull(), "translations": NSNull(), "malformed": NSNull(), "unpaired": NSNull(),
                        "error": "unknown layout",
                    ]
                ],
                "warnings": ["cilium NAT map present but not read, its translations are not audited: unknown layout"],
            ] as [String: Any]
    }

    @Test func eachNodeCarriesItsOwnVerdict() throws {
        let merged = try ReportMerger.merge([
            try Self.report(host: "a", clean: false), try Self.report(host: "b"),
            try Self.report(host: "c") { $0["verdict"] = "nothing-to-audit" },
        ])
        // Worst first: violations, then the node nothing was judged on, then the clean one.
        #expect(merged.nodes.map(\.host) == ["a", "c", "b"])
        #expect(merged.nodes.map(\.verdict) == [.violations, .nothingToAudit, .clean])
        #expect(merged.nodes.first { $0.host == "c" }?.reportedVerdict == "nothing-to-audit")
        #expect(merged.verdict == .violations)
        let text = MergedReportWriter.text(merged, top: 20)
        #expect(text.contains("verdict: violations"))
        #expect(text.contains("nothing to audit on c:"))
    }

    /// One node saw nothing to judge: the fleet is not clean, and the text
    /// does not say "no violations on any node" as if every node were checked.
    @Test func nothingToAuditIsNeverSummarizedAsClean() throws {
        let merged = try ReportMerger.merge([
            try Self.report(host: "a"), try Self.report(host: "b") { $0["verdict"] = "nothing-to-audit" },
        ])
        #expect(merged.totalViolations == 0)
        #expect(merged.verdict == .nothingToAudit)
        let text = MergedReportWriter.text(merged, top: 20)
        #expect(!text.contains("no violations on any node"), "\(text)")
        #expect(text.contains("verdict: nothing-to-audit"))
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(MergedReportWriter.json(merged, top: 20).utf8)) as? [String: Any])
        #expect(json["verdict"] as? String == "nothing-to-audit")
    }

    /// The node said "clean" about what it read, but a BPF NAT map was not
    /// read: merge calls it incomplete and shows the node's warning.
    @Test func unreadableBPFMapMakesTheNodeIncomplete() throws {
        let merged = try ReportMerger.merge([try Self.report(host: "a"), try Self.report(host: "b", Self.unreadCilium)])
        let node = try #require(merged.nodes.first { $0.host == "b" })
        #expect(node.reportedVerdict == "clean")
        #expect(node.verdict == .incomplete)
        #expect(node.unreadMaps == ["/sys/fs/bpf/tc/globals/cilium_snat_v4_external: unknown layout"])
        #expect(merged.verdict == .incomplete)
        let text = MergedReportWriter.text(merged, top: 20)
        #expect(text.contains("warning: b: cilium NAT map present but not read"))
        #expect(text.contains("incomplete on b:"))
        #expect(!text.contains("no violations on any node"))
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(MergedReportWriter.json(merged, top: 20).utf8)) as? [String: Any])
        let nodes = try #require(json["nodes"] as? [[String: Any]])
        let b = try #require(nodes.first { $0["host"] as? String == "b" })
        #expect(b["verdict"] as? String == "incomplete" && b["reported_verdict"] as? String == "clean")
        let planes = try #require(b["dataplanes"] as? [String: Any])
        #expect((planes["unread_maps"] as? [String])?.count == 1)
        #expect((planes["warnings"] as? [String])?.count == 1)
    }

    /// The kernel interrupted the node's dump: entries may be missing, so
    /// the node is incomplete and the merge says why.
    @Test func interruptedDumpMakesTheNodeIncomplete() throws {
        let merged = try ReportMerger.merge([
            try Self.report(host: "a") { object in
                var dump = object["dump"] as? [String: Any] ?? [:]
                dump["interrupted"] = true
                object["dump"] = dump
            }
        ])
        #expect(merged.nodes.first?.dumpInterrupted == true)
        #expect(merged.verdict == .incomplete)
        let text = MergedReportWriter.text(merged, top: 20)
        #expect(text.contains("warning: a: the kernel flagged its dump as interrupted"))
        #expect(!text.contains("no violations on any node"))
    }

    @Test func podsBlockedOutranksCleanAndFails() throws {
        let merged = try ReportMerger.merge([
            try Self.report(host: "a"), try Self.report(host: "b") { $0["verdict"] = "pods-blocked" },
        ])
        #expect(merged.verdict == .podsBlocked)
        #expect(merged.verdict.isFailure)
        #expect(MergedReportWriter.text(merged, top: 20).contains("pods blocked on b:"))
    }

    /// Reports from before `verdict`, `summary.node_local` and `dataplanes`
    /// still merge; with no violation counted their verdict is unknown, not clean.
    @Test func olderReportsMergeWithUnknownFields() throws {
        let strip: (inout [String: Any]) -> Void = { object in
            object["verdict"] = nil
            object["dataplanes"] = nil
            var summary = object["summary"] as? [String: Any] ?? [:]
            summary["node_local"] = nil
            object["summary"] = summary
        }
        let merged = try ReportMerger.merge([try Self.report(host: "old", strip), try Self.report(host: "older", clean: false, strip)])
        let old = try #require(merged.nodes.first { $0.host == "old" })
        #expect(old.verdict == .unknown && old.reportedVerdict == nil && old.nodeLocal == nil && old.dataplanes == nil)
        #expect(merged.nodes.first { $0.host == "older" }?.verdict == .violations)
        #expect(merged.verdict == .violations)
        let text = MergedReportWriter.text(merged, top: 20)
        #expect(text.contains("verdict unknown for old:"))
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(MergedReportWriter.json(merged, top: 20).utf8)) as? [String: Any])
        let nodes = try #require(json["nodes"] as? [[String: Any]])
        let first = try #require(nodes.first { $0["host"] as? String == "old" })
        #expect(first["node_local"] is NSNull && first["dataplanes"] is NSNull && first["reported_verdict"] is NSNull)

        let alone = try ReportMerger.merge([try Self.report(host: "old", strip)])
        #expect(alone.verdict == .unknown)
        #expect(!MergedReportWriter.text(alone, top: 20).contains("no violations on any node"))
    }

    @Test func nodeLocalAndDataplaneCountsAreCarried() throws {
        let merged = try ReportMerger.merge([
            try Self.report(host: "a") { object in
                var summary = object["summary"] as? [String: Any] ?? [:]
                summary["node_local"] = 7
                object["summary"] = summary
                object["dataplanes"] =
                    [
                        "bpffs": "/sys/fs/bpf", "read": ["conntrack", "cilium"],
                        "counts": [
                            "conntrack": ["flows": 120, "snat": 40, "remapped": 39, "violations": 0],
                            "cilium": ["flows": 8, "snat": 6, "remapped": 4, "violations": 0],
                        ],
                        "maps": [], "warnings": [],
                    ] as [String: Any]
            },
            try Self.report(host: "b"),
        ])
        #expect(merged.totalNodeLocal == 7)
        #expect(merged.verdict == .clean)
        let a = try #require(merged.nodes.first { $0.host == "a" })
        #expect(a.dataplanes?.map(\.dataplane) == ["conntrack", "cilium"])
        #expect(a.dataplanes?.last?.snat == 6)
        let totals = merged.dataplaneTotals
        #expect(totals.map(\.dataplane) == ["conntrack", "cilium"])
        #expect(totals.first?.nodes == 2 && totals.first?.snat == 80)
        #expect(totals.last?.nodes == 1 && totals.last?.flows == 8)
        let text = MergedReportWriter.text(merged, top: 20)
        #expect(text.contains("node-local 7"))
        #expect(text.contains("dataplanes: conntrack on 2 node(s): snat 80, violations 0; cilium on 1 node(s): snat 6, violations 0"))
        #expect(text.contains("no violations on any node"))
    }

    @Test func worstVerdictOrder() {
        #expect(MergedVerdict.worst([.clean, .nothingToAudit]) == .nothingToAudit)
        #expect(MergedVerdict.worst([.nothingToAudit, .incomplete]) == .incomplete)
        #expect(MergedVerdict.worst([.incomplete, .unknown, .clean]) == .unknown)
        #expect(MergedVerdict.worst([.unknown, .podsBlocked]) == .podsBlocked)
        #expect(MergedVerdict.worst([.podsBlocked, .violations, .clean]) == .violations)
        #expect(MergedVerdict.worst([MergedVerdict]()) == .nothingToAudit)
        #expect(MergedVerdict.of(reported: "clean", violations: 0, incomplete: false) == .clean)
        #expect(MergedVerdict.of(reported: "some-future-verdict", violations: 0, incomplete: false) == .unknown)
        #expect(MergedVerdict.of(reported: nil, violations: 2, incomplete: false) == .violations)
    }
}
