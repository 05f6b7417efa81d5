import Foundation
import Testing

@testable import Conntrack

/// The pcap reader on a capture the lab made: Fixtures/lab-upstream.pcap was
/// taken with `tcpdump -i int0 -w` inside the lab's gateway namespace
/// (scripts/lab.sh, 2 pairs), on the node's side, then cut to `tcp or udp`:
/// 92 packets, 24 conversations, 14 of them never answered (the gateway
/// dropped the replies to translated ports below 32768).
@Suite struct CaptureFileReaderTests {
    static func packets() throws -> [CapturedPacket] {
        let reader = try CaptureFileReader(path: try FixtureLoader.url("lab-upstream.pcap").path)
        #expect(reader.linkType == PacketDecoder.ethernet)
        var packets: [CapturedPacket] = []
        let walk = try reader.forEachPacket { packets.append($0) }
        #expect(walk.frames == 92)
        #expect(walk.packets == 92)
        #expect(!walk.truncated)
        return packets
    }

    @Test func decodesEveryPacketOfTheLabCapture() throws {
        let packets = try Self.packets()
        let node4 = IPAddress("198.51.100.2")!
        let node6 = IPAddress("2001:db8:1::2")!
        let syns = packets.filter(\.isSYN)
        #expect(syns.allSatisfy { $0.source.address == node4 || $0.source.address == node6 })
        #expect(syns.contains { $0.source == Endpoint(address: node4, port: 1214) && $0.destination.port == 8080 })
        #expect(syns.contains { $0.source.address == node6 && $0.source.port == 1516 })
        let synAcks = packets.filter(\.isSYNACK)
        #expect(synAcks.count == 5, "pod1's 4 connections and pod2's one translated above 32767")
        #expect(packets.contains { $0.proto == .udp && $0.destination.port == 5353 })
        #expect(packets.allSatisfy { $0.timestampMicroseconds > 1_700_000_000_000_000 })
    }

    @Test func notACaptureIsRefusedWithWhy() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-capture-\(UUID().uuidString)").path
        try "hello\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: CaptureError.self) { try CaptureFileReader(path: path) }
        #expect(throws: CaptureError.self) { try CaptureFileReader(path: "/nonexistent/capture.pcap") }
    }

    @Test func aTruncatedCaptureKeepsWhatWasRead() throws {
        let whole = try Data(contentsOf: try FixtureLoader.url("lab-upstream.pcap"))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cut-\(UUID().uuidString).pcap").path
        try whole.prefix(whole.count - 30).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let walk = try CaptureFileReader(path: path).forEachPacket { _ in }
        #expect(walk.frames == 91)
        #expect(walk.truncated)
    }

    @Test func decoderBoundsAndLinkTypes() {
        // A raw IPv4 TCP SYN 10.0.0.1:1000 > 10.0.0.2:80.
        var ip: [UInt8] = [0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        ip += [0x03, 0xE8, 0x00, 0x50, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0, 0, 0, 0, 0, 0]
        let raw = ip.withUnsafeBytes { PacketDecoder.decode($0, linkType: PacketDecoder.raw) }
        #expect(raw?.isSYN == true)
        #expect(raw?.source == Endpoint(address: IPAddress("10.0.0.1")!, port: 1000))
        // Linux cooked v2 (tcpdump -i any): 20 bytes, protocol first.
        let cooked: [UInt8] = [0x08, 0x00] + [UInt8](repeating: 0, count: 18) + ip
        #expect(cooked.withUnsafeBytes { PacketDecoder.decode($0, linkType: PacketDecoder.linuxCooked2) } == raw)
        // Every prefix of the frame is nil or a packet, never a crash.
        for length in 0..<ip.count {
            _ = ip.prefix(length).withUnsafeBytes { PacketDecoder.decode($0, linkType: PacketDecoder.raw) }
        }
        // A later fragment has no ports.
        var fragment = ip
        fragment[6] = 0x00
        fragment[7] = 0x10
        #expect(fragment.withUnsafeBytes { PacketDecoder.decode($0, linkType: PacketDecoder.raw) } == nil)
    }
}
