import Conntrack
import Testing
@testable import ConntrackAudit

/// Sorting violations through their indices gives exactly the order of
/// sorting the violations themselves, ties included.
@Suite("Accumulating an audit: worst-first order")
struct ViolationOrderTests {
    @Test(arguments: [0, 1, 2, 7, 500])
    func indexSortMatchesElementSort(count: Int) {
        var generator = SystemRandomNumberGenerator()
        let violations = (0..<count).map { index in
            // Few distinct keys: many ties, so stability matters.
            Violation(flow: FlowFactory.flow(
                id: UInt32(index), pod: "10.244.0.\(Int.random(in: 1...3, using: &generator))",
                sport: UInt16.random(in: 40000...40002, using: &generator),
                status: Bool.random(using: &generator) ? [.sourceNAT] : [.sourceNAT, .seenReply]))
        }
        var sorted = violations
        AuditAccumulator.sortInPlace(&sorted)
        #expect(sorted.map(\.flow.id) == violations.sorted(by: Violation.worstFirst).map(\.flow.id))
    }
}
