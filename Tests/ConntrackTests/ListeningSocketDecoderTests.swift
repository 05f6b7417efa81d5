import Testing

@testable import Conntrack

/// inet_diag_msg decoding on hand-made bytes (the layout shim.c pins).
@Suite("Conntrack: sock_diag listener decoding")
struct ListeningSocketDecoderTests {
    static func message(family: UInt8, port: UInt16, address: [UInt8], length: Int = 72) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: length)
        bytes[0] = family
        bytes[1] = 10
        if length >= 6 {
            bytes[4] = UInt8(port >> 8)
            bytes[5] = UInt8(port & 0xff)
        }
        for (index, byte) in address.enumerated() where 8 + index < length { bytes[8 + index] = byte }
        return bytes
    }

    @Test func ipv4AndIPv6() {
        let v4 = Self.message(family: 2, port: 30080, address: [10, 0, 0, 1])
        let v6 = Self.message(family: 10, port: 53, address: [UInt8](repeating: 0, count: 16))
        #expect(v4.withUnsafeBytes { ListeningSocketReader.decode($0, proto: .tcp) }?.description == "tcp 10.0.0.1:30080")
        #expect(v6.withUnsafeBytes { ListeningSocketReader.decode($0, proto: .udp) }?.description == "udp [::]:53")
    }

    @Test func shortUnknownOrPortlessMessagesAreSkipped() {
        #expect(
            Self.message(family: 2, port: 80, address: [1, 2, 3, 4], length: 40).withUnsafeBytes {
                ListeningSocketReader.decode($0, proto: .tcp)
            } == nil)
        #expect(Self.message(family: 1, port: 80, address: []).withUnsafeBytes { ListeningSocketReader.decode($0, proto: .tcp) } == nil)
        #expect(
            Self.message(family: 2, port: 0, address: [1, 2, 3, 4]).withUnsafeBytes { ListeningSocketReader.decode($0, proto: .tcp) } == nil
        )
    }

    @Test func loopbackOnly() {
        #expect(ListeningSocket(proto: .tcp, address: IPAddress("127.0.0.53")!, port: 53).isLoopbackOnly)
        #expect(ListeningSocket(proto: .tcp, address: IPAddress("::1")!, port: 53).isLoopbackOnly)
        #expect(!ListeningSocket(proto: .tcp, address: IPAddress("::")!, port: 53).isLoopbackOnly)
    }
}
