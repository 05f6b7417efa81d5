import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

@Suite("check: dataplane findings in the writers")
struct CheckDataplaneWriterTests {
    @Test("check's text and JSON carry the dataplanes' finding and fix")
    func checkVerdict() {
        var report = CheckReport(
            host: "h", netns: nil, generatedAt: "t", allowed: PortRangeSet.defaultAllowed, podNetworks: [],
            inputs: [], sources: [], nodePortRange: nil, findings: [], notes: [])
        #expect(report.verdict == .safe)
        report.dataplanes = [
            DataplaneCheck(allowed: PortRangeSet.defaultAllowed, bpffs: nil, config: DataplaneConfig()).calicoFinding(detectedBy: [])
        ]
        #expect(report.verdict == .atRisk)
        let text = CheckTextWriter().render(report)
        #expect(text.contains("calico BPF dataplane"))
        // The one remedy engine marks the dataplane's setting as the fix here.
        #expect(text.contains("fix (applies here): calico BPF dataplane: "))
        #expect(CheckJSONWriter.render(report).contains("\"bpfPSNATPorts\\\":\\\"61000:65535\\\""))
    }
}
