import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy

/// The packed list gives back exactly the violations put in.
@Suite("Violation list: packed storage")
struct ViolationListTests {
    @Test func roundTripsEveryField() {
        let samples = ViolationSamples.all()
        let list = ViolationList(samples)
        #expect(list.count == samples.count)
        #expect(Array(list) == samples)
    }

    @Test func factsMatchTheWholeViolation() {
        let samples = ViolationSamples.all()
        let list = ViolationList(samples)
        for (position, violation) in samples.enumerated() {
            let facts = list.facts(at: position)
            let expected = ViolationFacts(violation)
            #expect(facts.source == expected.source && facts.destination == expected.destination)
            #expect(facts.destinationPort == expected.destinationPort && facts.proto == expected.proto)
            #expect(facts.translatedPort == expected.translatedPort && facts.isUnreplied == expected.isUnreplied)
            #expect(facts.isRemapped == expected.isRemapped && facts.dataplane == expected.dataplane)
        }
    }

    @Test func crossesChunksAndKeepsOrderAfterSorting() {
        let violations = (0..<2_500).map { index in
            Violation(
                flow: FlowFactory.flow(
                    id: UInt32(index), pod: "10.244.\(index / 250).\(index % 250 + 1)",
                    translatedPort: UInt16(index % 30_000)))
        }
        var list = ViolationList(violations)
        #expect(Array(list) == violations)
        list.sortWorstFirst()
        #expect(Array(list) == violations.sorted(by: Violation.worstFirst))
        // Appending after sorting adds at the end, as an array would.
        let late = Violation(flow: FlowFactory.flow(id: 99_999, pod: "10.244.0.1"))
        list.append(late)
        #expect(list.last == late && list.count == 2_501)
    }

    @Test func onePodPerSourceAddress() {
        var identity = PodIdentity(ip: IPAddress("10.244.0.3")!)
        identity.name = "web-1"
        var named = Violation(flow: FlowFactory.flow(id: 1))
        named.pod = identity
        var list: ViolationList = [
            named, Violation(flow: FlowFactory.flow(id: 2)),
            Violation(flow: FlowFactory.flow(id: 3, pod: "10.244.0.4")),
        ]
        // A pod given with one violation names its address's others too.
        #expect(list.map(\.pod?.name) == ["web-1", "web-1", nil])
        #expect(list.podSources == [IPAddress("10.244.0.3")!, IPAddress("10.244.0.4")!])
        list.attributePods([:])
        #expect(list.allSatisfy { $0.pod == nil })
    }
}

@Suite("Violation list: IPv6 address table")
struct IPv6AddressTableTests {
    @Test func internsEachAddressOnceAcrossGrowth() {
        var table = IPv6AddressTable()
        let addresses = (0..<5_000).map { IPAddress("fd00:10:244::\(String($0, radix: 16))")! }
        let first = addresses.map { table.index(of: $0) }
        #expect(first == (0..<5_000).map(UInt32.init))
        // Again, in another order: the same indices, nothing added.
        for (index, address) in addresses.enumerated().reversed() { #expect(table.index(of: address) == UInt32(index)) }
        #expect(addresses.indices.allSatisfy { table[UInt32($0)] == addresses[$0] })
        #expect(table.index(of: IPAddress("2001:db8::1")!) == 5_000)
    }
}
