import Conntrack
import Engines
import Testing

/// Which conversations of an upstream capture were never answered.
@Suite struct CaptureConversationsTests {
    static let node = try! Endpoint(parsing: "198.51.100.2:2589")
    static let server = try! Endpoint(parsing: "203.0.113.10:8080")

    static func tcp(_ from: Endpoint, _ to: Endpoint, _ flags: UInt8, at time: UInt64 = 0) -> CapturedPacket {
        CapturedPacket(proto: .tcp, source: from, destination: to, tcpFlags: flags, timestampMicroseconds: time)
    }

    @Test func aSYNWithoutSYNACKIsUnanswered() {
        var table = CaptureConversations()
        table.add(Self.tcp(Self.node, Self.server, CapturedPacket.syn, at: 1))
        table.add(Self.tcp(Self.node, Self.server, CapturedPacket.syn, at: 2))  // retransmission
        let answeredClient = try! Endpoint(parsing: "198.51.100.2:40000")
        table.add(Self.tcp(answeredClient, Self.server, CapturedPacket.syn, at: 3))
        table.add(Self.tcp(Self.server, answeredClient, CapturedPacket.syn | CapturedPacket.ack, at: 4))
        table.add(Self.tcp(answeredClient, Self.server, CapturedPacket.ack, at: 5))
        #expect(table.tracked == 2)
        #expect(table.answeredCount == 1)
        let unanswered = table.unanswered
        #expect(unanswered.count == 1)
        #expect(unanswered[0].key.initiator == Self.node)
        #expect(unanswered[0].key.responder == Self.server)
        #expect(unanswered[0].packets == 2)
        #expect(unanswered[0].firstSeenMicroseconds == 1)
        #expect(table.ignored == 1, "the ACK of an answered connection opens nothing")
    }

    @Test func aRSTBackIsAnAnswer() {
        var table = CaptureConversations()
        table.add(Self.tcp(Self.node, Self.server, CapturedPacket.syn))
        table.add(Self.tcp(Self.server, Self.node, CapturedPacket.rst | CapturedPacket.ack))
        #expect(table.unanswered.isEmpty)
    }

    @Test func udpNeedsADatagramOnTheReverseTuple() {
        var table = CaptureConversations()
        let dns = try! Endpoint(parsing: "203.0.113.10:53")
        table.add(CapturedPacket(proto: .udp, source: Self.node, destination: dns))
        let other = try! Endpoint(parsing: "198.51.100.2:40001")
        table.add(CapturedPacket(proto: .udp, source: other, destination: dns))
        table.add(CapturedPacket(proto: .udp, source: dns, destination: other))
        // A datagram from another port of the server is not the answer.
        table.add(CapturedPacket(proto: .udp, source: try! Endpoint(parsing: "203.0.113.10:54"), destination: Self.node))
        #expect(table.unanswered.map(\.key.initiator) == [Self.node, try! Endpoint(parsing: "203.0.113.10:54")])
    }

    @Test func theTableIsBoundedAndSaysSo() {
        var table = CaptureConversations(capacity: 10)
        for port in 1...25 {
            table.add(Self.tcp(Endpoint(address: Self.node.address, port: UInt16(port)), Self.server, CapturedPacket.syn))
        }
        #expect(table.tracked == 10)
        #expect(table.isCapped)
        #expect(table.untracked == 15)
    }

    @Test func theLabCaptureHasFourteenUnanswered() throws {
        let path =
            String(#filePath.dropLast("EnginesTests/CaptureConversationsTests.swift".count)) + "ConntrackTests/Fixtures/lab-upstream.pcap"
        var table = CaptureConversations()
        _ = try CaptureFileReader(path: path).forEachPacket { table.add($0) }
        #expect(table.tracked == 24)
        #expect(table.answeredCount == 10)
        let unanswered = table.unanswered
        #expect(unanswered.count == 14)
        #expect(unanswered.filter { $0.key.proto == .tcp }.count == 7, "pod2's 3 remapped below 32768, pod3's 4 kept low")
        #expect(unanswered.allSatisfy { $0.key.initiator.port < 32768 })
    }
}
