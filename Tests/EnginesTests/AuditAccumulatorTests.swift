import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy

@Suite("Accumulating an audit")
struct AuditAccumulatorTests {
    @Test func countsAndKeepsOnlyViolations() {
        var accumulator = AuditAccumulator(policy: AuditPolicy())
        accumulator.add(FlowFactory.flow(id: 1, translatedPort: 1500))  // violation, unreplied
        accumulator.add(
            FlowFactory.flow(
                id: 2, sport: 1600, translatedPort: 1600,
                status: [.sourceNAT, .seenReply, .assured]))  // kept-port violation
        accumulator.add(FlowFactory.flow(id: 3, translatedPort: 40001))  // remapped, allowed
        accumulator.add(FlowFactory.flow(id: 4, status: [.confirmed]))  // not NATed
        accumulator.add(FlowFactory.flow(id: 5, proto: .icmp))  // no ports
        // Another entry whose CTA_ID collides with 1's (ids are 32-bit hashes):
        // a real violation, kept (resends are dropped by the dump, by identity).
        accumulator.add(FlowFactory.flow(id: 1, sport: 40002, translatedPort: 1501))
        let summary = accumulator.summary
        #expect(summary.flowsRead == 6)
        #expect(summary.snat == 5)
        #expect(summary.remapped == 3)
        #expect(summary.violations == 3)
        #expect(summary.violationsUnreplied == 2)
        #expect(summary.violationsKeptPort == 1)
        #expect(summary.withoutPorts == 1)
        #expect(accumulator.violations.count == 3)
        // Worst first: the unreplied one leads.
        #expect(accumulator.sortedViolations().first?.flow.id == 1)
    }
}
