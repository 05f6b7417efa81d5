import TestSupport
import Testing

@testable import Conntrack

/// A dump read datagram by datagram, as the socket reads it: an entry the
/// kernel sends twice is passed on once, two entries that merely share a
/// CTA_ID are both passed on (issue: ids are 32-bit hashes and collide).
@Suite("Dump reader: resends and shared ids")
struct DumpReaderTests {
    typealias Bytes = NetlinkBytes

    /// One IPv4 TCP entry of a dump answering sequence 1: pod source port
    /// `sport`, translated to `translated`, with CTA_ID `id`.
    static func entry(id: UInt32, sport: UInt16, translated: UInt16 = 1500, zone: UInt16? = nil, flags: UInt16 = 2) -> [UInt8] {
        var payload: [UInt8] =
            [2, 0, 0, 0]
            + Bytes.tuple(1, src: [10, 244, 0, 3], dst: [203, 0, 113, 10], proto: 6, sport: sport, dport: 8080)
            + Bytes.tuple(2, src: [203, 0, 113, 10], dst: [198, 51, 100, 2], proto: 6, sport: 8080, dport: translated)
            + Bytes.attribute(3, Bytes.be32(0x10 | 0x08 | 0x80))
            + Bytes.attribute(12, Bytes.be32(id))
        if let zone { payload += Bytes.attribute(18, Bytes.be16(zone)) }
        return NetlinkBytes.message(type: NetlinkBytes.ctNew, flags: flags, payload: payload)
    }

    static func read(_ datagrams: [[UInt8]]) throws -> (flows: [Flow], result: DumpResult) {
        var reader = DumpReader(sequence: 1, portID: 0)
        var flows: [Flow] = []
        for datagram in datagrams {
            let done = try datagram.withUnsafeBytes { bytes in
                try reader.read(datagram: bytes) { flows.append($0) }
            }
            if done { break }
        }
        return (flows, reader.result)
    }

    @Test("two entries with one CTA_ID but different original tuples are both kept")
    func sharedIDIsNotADuplicate() throws {
        let (flows, result) = try Self.read([
            Self.entry(id: 7, sport: 40001, translated: 1500) + Self.entry(id: 7, sport: 40002, translated: 1600),
            Self.entry(id: 7, sport: 40003, translated: 1700) + NetlinkBytes.done,
        ])
        #expect(flows.map(\.original.sourcePort) == [40001, 40002, 40003])
        #expect(result.flows == 3)
        #expect(result.duplicates == 0)
    }

    @Test("an entry resent at the start of the next datagram (bucket restart) is passed on once")
    func resendIsDropped() throws {
        let (flows, result) = try Self.read([
            Self.entry(id: 1, sport: 40001) + Self.entry(id: 2, sport: 40002),
            // The kernel restarted the bucket: 2 again, then a new entry sharing 2's id.
            Self.entry(id: 2, sport: 40002) + Self.entry(id: 2, sport: 40009) + Self.entry(id: 3, sport: 40003),
            NetlinkBytes.done,
        ])
        #expect(flows.map(\.original.sourcePort) == [40001, 40002, 40009, 40003])
        #expect(result.flows == 4)
        #expect(result.duplicates == 1)
        #expect(result.datagrams == 3)
    }

    @Test("a resend within one datagram is passed on once")
    func resendInOneDatagram() throws {
        let (flows, result) = try Self.read([Self.entry(id: 5, sport: 40005) + Self.entry(id: 5, sport: 40005) + NetlinkBytes.done])
        #expect(flows.count == 1)
        #expect(result.duplicates == 1)
    }

    @Test("same id and tuple in another zone is another entry")
    func zoneIsPartOfIdentity() throws {
        let (flows, result) = try Self.read([
            Self.entry(id: 9, sport: 40009, zone: 1) + Self.entry(id: 9, sport: 40009, zone: 2) + NetlinkBytes.done
        ])
        #expect(flows.count == 2)
        #expect(result.duplicates == 0)
    }

    @Test("NLM_F_DUMP_INTR on any message marks the dump interrupted")
    func interruptedFlag() throws {
        let (_, result) = try Self.read([Self.entry(id: 1, sport: 40001, flags: 2 | 0x10) + NetlinkBytes.done])
        #expect(result.interrupted)
    }

    @Test("messages of another request are skipped; NLMSG_ERROR ends the dump with that errno")
    func staleAndError() throws {
        var stale = Self.entry(id: 1, sport: 40001)
        stale.replaceSubrange(8..<12, with: NetlinkBytes.le32(99))  // another sequence number
        let (flows, _) = try Self.read([stale + NetlinkBytes.done])
        #expect(flows.isEmpty)
        #expect(throws: ConntrackError.permissionDenied(operation: "conntrack dump")) {
            try Self.read([NetlinkBytes.error(1)])
        }
    }

    @Test("identity: CTA_ID, original tuple and zone; ICMP ids count as the tuple's ports")
    func identity() {
        let pod = IPAddress("10.244.0.3")!
        let server = IPAddress("203.0.113.10")!
        func icmp(_ id: UInt16) -> Tuple { Tuple(source: pod, destination: server, proto: .icmp, icmp: .init(id: id, type: 8, code: 0)) }
        #expect(FlowIdentity(id: 1, original: icmp(7), zone: 0) == FlowIdentity(id: 1, original: icmp(7), zone: 0))
        #expect(FlowIdentity(id: 1, original: icmp(7), zone: 0) != FlowIdentity(id: 1, original: icmp(8), zone: 0))
        #expect(FlowIdentity(id: 1, original: icmp(7), zone: 0) != FlowIdentity(id: 2, original: icmp(7), zone: 0))
        let v6 = Tuple(
            source: IPAddress("fd00::3")!, destination: IPAddress("2001:db8::10")!, proto: .udp, sourcePort: 5, destinationPort: 53)
        #expect(FlowIdentity(id: 1, original: v6, zone: 0).description == "id 1 proto 17 zone 0 fd00::3.5 -> 2001:db8::10.53")
        #expect(MemoryLayout<FlowIdentity>.size <= 48)
        // A directional zone on the original side is the zone the entry is keyed by.
        var flow = Flow(id: 1, family: .ipv6, original: v6, reply: v6)
        flow.originalZone = 7
        #expect(flow.identity == FlowIdentity(id: 1, original: v6, zone: 7))
        #expect(flow.identity != FlowIdentity(id: 1, original: v6, zone: 0))
    }
}
