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
    static let captured: [String] = [
        "b8000000000100060000000053520000020000003400018014000180080001000af4000008000200cb0071011c0002800500010011000000060002009c4000000600030000350000340002801400018008000100cb00710108000200c63364021c00028005000100110000000600020000350000060003000400000008000c0031c827500800030000000198080007000000003c1c0018800800010000000000080002000000000008000300000000000800080000000000",
        "94000000020100000000000053520000020000003400018014000180080001000af4000008000200cb0071011c0002800500010011000000060002009c4000000600030000350000340002801400018008000100cb00710108000200c63364021c00028005000100110000000600020000350000060003000400000008000c0031c827500800030000000398080007000000003c",
        "e8000000000100060000000054520000020000003400018014000180080001000af4000308000200cb00710a1c0002800500010006000000060002009c410000060003001f900000340002801400018008000100cb00710a080002000af400031c0002800500010006000000060002001f900000060003009c41000008000c00b94fd680080003000000000a0800070000000064300004802c000180050001000100000005000200000000000500030000000000060004000a000000060005000a0000001c0018800800010000000000080002000000000008000300000000000800080000000000",
        "e8000000000100000000000053d52ef5020000003400018014000180080001000af4000308000200cb00710a1c0002800500010006000000060002009c410000060003001f900000340002801400018008000100cb00710a080002000af400031c0002800500010006000000060002001f900000060003009c41000008000c00b94fd680080003000000000a0800070000000063300004802c000180050001000100000005000200000000000500030000000000060004000a000000060005000a0000001c0018800800010000000000080002000000000008000300000000000800080000000007",
        "ac0000000201000000000000711ebff8020000003400018014000180080001000af4000308000200cb00710a1c0002800500010006000000060002009c410000060003001f900000340002801400018008000100cb00710a080002000af400031c0002800500010006000000060002001f900000060003009c41000008000c00b94fd680080003000000020a0800070000000063100004800c00018005000100010000000800080000000007",
    ]

    static func bytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    static func decode(_ hex: String) throws -> [ConntrackEvent] {
        try bytes(hex).withUnsafeBytes { try ConntrackEvent.decodeDatagram($0) }
    }

    @Test("NEW, UPDATE and DESTROY are told apart by message type and NLM_F_CREATE|NLM_F_EXCL")
    func kinds() throws {
        let kinds = try Self.captured.flatMap { try Self.decode($0) }.map(\.kind)
        #expect(kinds == [.new, .destroy, .new, .update, .destroy])
    }

    @Test("a NEW event of a source-NATed flow carries the translated port and IPS_SRC_NAT")
    func newSourceNATed() throws {
        let event = try #require(try Self.decode(Self.captured[0]).first)
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
        let created = try #require(try Self.decode(Self.captured[0]).first)
        let destroyed = try #require(try Self.decode(Self.captured[1]).first)
        #expect(destroyed.kind == .destroy)
        #expect(destroyed.flow.id == created.flow.id)
        #expect(destroyed.flow.isSourceNATed)
        #expect(destroyed.flow.isUnreplied)
        #expect(destroyed.flow.translatedSourcePort == 1024)
    }

    @Test("an UPDATE carries the changed mark and the protocol state")
    func update() throws {
        let event = try #require(try Self.decode(Self.captured[3]).first)
        #expect(event.kind == .update)
        #expect(event.flow.mark == 7)
        #expect(event.flow.protocolState == .tcp(1))
        #expect(!event.flow.isSourceNATed)
    }

    @Test("truncated event datagrams throw, never crash", arguments: [1, 15, 16, 40, 100, 183])
    func truncated(length: Int) throws {
        let full = Self.bytes(Self.captured[0])
        let cut = Array(full.prefix(length))
        #expect(throws: DecodeError.self) {
            _ = try cut.withUnsafeBytes { try ConntrackEvent.decodeDatagram($0) }
        }
    }

    @Test("messages of other subsystems or types are not events")
    func notAnEvent() throws {
        let datagram = Self.bytes(Self.captured[0])
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
