import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy

/// Sorting the packed list through its positions gives exactly the order of
/// sorting the violations themselves, ties included.
@Suite("Accumulating an audit: worst-first order")
struct ViolationOrderTests {
    @Test(arguments: [0, 1, 2, 7, 500])
    func positionSortMatchesElementSort(count: Int) {
        let seed = TestSeed.value(default: 0x50B7_0BDE_2026_1206)
        var generator = SeededGenerator(seed: seed)
        let violations = (0..<count).map { index in
            // Few distinct keys: many ties, so stability matters. IPv6 and
            // IPv4 mixed, so interned and inline addresses are compared.
            let v6 = Bool.random(using: &generator)
            let host = Int.random(in: 1...3, using: &generator)
            return Violation(
                flow: FlowFactory.flow(
                    id: UInt32(index), pod: v6 ? "fd00:10:244::\(host)" : "10.244.0.\(host)",
                    sport: UInt16.random(in: 40000...40002, using: &generator),
                    server: v6 ? "2001:db8:2::\(host)" : "203.0.113.10", node: v6 ? "2001:db8:1::2" : "198.51.100.2",
                    status: Bool.random(using: &generator) ? [.sourceNAT] : [.sourceNAT, .seenReply]),
                ageSeconds: index % 5 == 0 ? UInt64.max : nil)  // some spill: kept whole
        }
        var list = ViolationList(violations)
        list.sortWorstFirst()
        #expect(list.map(\.flow.id) == violations.sorted(by: Violation.worstFirst).map(\.flow.id), "\(TestSeed.describe(seed))")
    }
}
