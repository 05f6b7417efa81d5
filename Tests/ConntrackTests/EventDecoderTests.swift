import TestSupport
import Testing

@testable import Conntrack

/// Event decoding on real kernel bytes: datagrams captured from an event socket
/// in a test namespace (Linux 6.18) with scripts/bench-events/capture-events.py
/// while these ran in the same namespace:
///
///     ctflood --entries 1          # NEW + DESTROY of a source-NATed UDP flow (port 1024)
///     conntrack -I -p tcp -s 10.244.0.3 -d 203.0.113.10 --sport 40001 --dport 8080 --state SYN_SENT -t 100
///     conntrack -U -p tcp -s 10.244.0.3 --sport 40001 -m 7
///     conntrack -D -p tcp -s 10.244.0.3
@Suite("Conntrack events")
struct EventDecoderTests {
    static func decode(_ hex: String) throws -> [ConntrackEvent] {
        try NetlinkBytes.hex(hex).withUnsafeBytes { try ConntrackEvent.decodeDatagram($0) }
    }

    @Test("NEW, UPDATE and DESTROY are told apart by message type and NLM_F_CREATE|NLM_F_EXCL")
    func kinds() throws {
        let kinds = try CapturedEvents.datagrams.flatMap { try Self.decode($0) }.map(\.kind)
        #expect(kinds == [.new, .destroy, .new, .update, .destroy])
    }

    @Test("a NEW event of a source-NATed flow carries the translated port and IPS_SRC_NAT")
    func newSourceNATed() throws {
        let event = try #require(try Self.decode(CapturedEvents.datagrams[0]).first)
        let flow = event.flow
        #expect(flow.isSourceNATed)
        #expect(flow.proto == .udp)
        #expect(flow.original.source == IPAddress("10.244.0.0"))
        #expect(flow.original.sourcePort == 40000)
        #expect(flow.original.destination == IPAddress("203.0.113.1"))
        #expect(flow.translatedSource == IPAddress("198.51.100.2"))
        #expect(flow.translatedSourcePort == 1024)
        #expect(flow.isPortRemapped)
        #expect(flow.isUnreplied)
        #expect(flow.id != nil)
    }

    @Test("the DESTROY event names the same entry (CTA_ID) and still has its status")
    func destroyKeepsIdentityAndStatus() throws {
        let created = try #require(try Self.decode(CapturedEvents.datagrams[0]).first)
        let destroyed = try #require(try Self.decode(CapturedEvents.datagrams[1]).first)
        #expect(destroyed.kind == .destroy)
        #expect(destroyed.flow.id == created.flow.id)
        #expect(destroyed.flow.isSourceNATed)
        #expect(destroyed.flow.isUnreplied)
        #expect(destroyed.flow.translatedSourcePort == 1024)
    }

    @Test("an UPDATE carries the changed mark and the protocol state")
    func update() throws {
        let event = try #require(try Self.decode(CapturedEvents.datagrams[3]).first)
        #expect(event.kind == .update)
        #expect(event.flow.mark == 7)
        #expect(event.flow.protocolState == .tcp(1))
        #expect(!event.flow.isSourceNATed)
    }

    @Test("truncated event datagrams throw, never crash", arguments: [1, 15, 16, 40, 100, 183])
    func truncated(length: Int) throws {
        let full = NetlinkBytes.hex(CapturedEvents.datagrams[0])
        let cut = Array(full.prefix(length))
        #expect(throws: DecodeError.self) {
            _ = try cut.withUnsafeBytes { try ConntrackEvent.decodeDatagram($0) }
        }
    }

    @Test("messages of other subsystems or types are not events")
    func notAnEvent() throws {
        let datagram = NetlinkBytes.hex(CapturedEvents.datagrams[0])
        func decode(_ type: UInt16, _ flags: UInt16) throws -> ConntrackEvent? {
            try datagram.withUnsafeBytes { bytes throws(DecodeError) in
                try ConntrackEvent.decode(messageType: type, flags: flags, payload: UnsafeRawBufferPointer(rebasing: bytes[16...]))
            }
        }
        #expect(try decode(2, 0) == nil)
        #expect(try decode(0x0101, 0) == nil)
        #expect(try decode(0x0200, 0x600) == nil)
        #expect(try decode(0x0100, 0x600)?.kind == .new)
    }
}
