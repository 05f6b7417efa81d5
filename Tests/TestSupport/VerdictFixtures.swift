import Conntrack
import Engines
import Foundation
import NodeState
import Policy
import Reports

/// Shared fixtures (moved out of VerdictTests so that other suites need not reach into it).
package enum VerdictFixtures {
    package static func report(_ flows: [Flow], policy: AuditPolicy, listsNodeLocal: Bool = false) -> AuditReport {
        var accumulator = AuditAccumulator(policy: policy, nowNanoseconds: 1_000_000_000_000)
        accumulator.keepsNodeLocal = listsNodeLocal
        for flow in flows { accumulator.add(flow) }
        var report = AuditReport(
            host: "node-1", netns: "node", generatedAt: "2026-11-30T00:00:00Z", policy: policy,
            summary: accumulator.summary, violations: accumulator.sortedViolations(),
            dump: DumpResult(), tableSize: nil)
        report.nodeLocalFlows = accumulator.nodeLocalFlows
        report.listsNodeLocal = listsNodeLocal
        return report
    }

    package static let pods = [try! IPNetwork(parsing: "10.244.0.0/24")]

    /// A hairpin flow: pod -> service VIP, DNATed to a pod on this node and
    /// masqueraded to the bridge address; the reply comes from the backend pod.
    package static func hairpin(translatedPort: UInt16, backend: String = "10.244.0.4") -> Flow {
        var flow = FlowFactory.flow(
            pod: "10.244.0.2", sport: 1000, server: "10.96.0.10", dport: 80,
            node: "10.244.0.1", translatedPort: translatedPort)
        flow.reply = Tuple(
            source: IPAddress(backend)!, destination: IPAddress("10.244.0.1")!, proto: .tcp,
            sourcePort: 8080, destinationPort: translatedPort)
        return flow
    }
}
