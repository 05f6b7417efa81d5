import Testing
@testable import Conntrack

/// Malformed input: the decoder throws a `DecodeError`, never crashes or
/// reads past the bytes it was given.
@Suite("Decoder bounds")
struct FlowDecoderBoundsTests {
    /// Builds netlink attributes by hand (host-order nlattr header, 4-byte aligned).
    static func attribute(_ type: UInt16, _ payload: [UInt8], nested: Bool = false) -> [UInt8] {
        let length = UInt16(4 + payload.count)
        let type = nested ? type | 0x8000 : type
        var bytes = withUnsafeBytes(of: length.littleEndian, Array.init) + withUnsafeBytes(of: type.littleEndian, Array.init) + payload
        while bytes.count % 4 != 0 { bytes.append(0) }
        return bytes
    }

    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
    static func be32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }

    static func tuple(_ type: UInt16, src: [UInt8], dst: [UInt8], proto: UInt8, sport: UInt16, dport: UInt16) -> [UInt8] {
        let ip = attribute(1, attribute(1, src) + attribute(2, dst), nested: true)
        let l4 = attribute(2, attribute(1, [proto]) + attribute(2, be16(sport)) + attribute(3, be16(dport)), nested: true)
        return attribute(type, ip + l4, nested: true)
    }

    /// A well-formed IPv4 TCP message payload: nfgenmsg + attributes.
    static func message(extra: [UInt8] = []) -> [UInt8] {
        [2, 0, 0, 0]
            + tuple(1, src: [10, 244, 0, 3], dst: [203, 0, 113, 10], proto: 6, sport: 40000, dport: 8080)
            + tuple(2, src: [203, 0, 113, 10], dst: [198, 51, 100, 2], proto: 6, sport: 8080, dport: 1500)
            + attribute(3, be32(0x10 | 0x08 | 0x80))  // SRC_NAT | CONFIRMED | SRC_NAT_DONE
            + attribute(12, be32(42))                 // CTA_ID
            + extra
    }

    static func decode(_ bytes: [UInt8]) throws(DecodeError) -> Flow {
        do {
            return try bytes.withUnsafeBytes { buffer in try FlowDecoder.decode(buffer) }
        } catch let error as DecodeError {
            throw error
        } catch {
            fatalError("unexpected \(error)")
        }
    }

    @Test func decodesAHandBuiltMessage() throws {
        let flow = try Self.decode(Self.message())
        #expect(flow.original.source.description == "10.244.0.3")
        #expect(flow.translatedSourcePort == 1500)
        #expect(flow.isSourceNATed && flow.isPortRemapped && flow.isUnreplied)
        #expect(flow.id == 42)
    }

    @Test func skipsUnknownAttributes() throws {
        let flow = try Self.decode(Self.message(extra: Self.attribute(200, [1, 2, 3, 4, 5])))
        #expect(flow.id == 42)
    }

    @Test("every truncation of a valid message throws or decodes, never crashes")
    func everyTruncation() {
        let bytes = Self.message()
        for length in 0..<bytes.count {
            _ = try? Self.decode(Array(bytes[..<length]))
        }
    }

    @Test func attributeLengthPastTheEnd() {
        var bytes = Self.message()
        bytes[4] = 0xff  // first attribute claims 255+ bytes
        bytes[5] = 0x0f
        #expect(throws: DecodeError.self) { try Self.decode(bytes) }
    }

    @Test func attributeLengthBelowHeader() {
        var bytes = Self.message()
        bytes[4] = 2
        bytes[5] = 0
        #expect(throws: DecodeError.badAttributeLength(what: "nlattr type 1", length: 2)) { try Self.decode(bytes) }
    }

    @Test func missingReplyTuple() {
        let bytes: [UInt8] = [2, 0, 0, 0] + Self.tuple(1, src: [10, 0, 0, 1], dst: [10, 0, 0, 2], proto: 17, sport: 1, dport: 2)
        #expect(throws: DecodeError.missingAttribute("CTA_TUPLE_REPLY")) { try Self.decode(bytes) }
    }

    @Test func wrongAddressLength() {
        let bytes: [UInt8] = [2, 0, 0, 0] + Self.tuple(1, src: [10, 0, 0], dst: [10, 0, 0, 2], proto: 17, sport: 1, dport: 2)
        #expect(throws: DecodeError.badAttributeLength(what: "CTA_IP_V4_SRC", length: 3)) { try Self.decode(bytes) }
    }

    @Test func unsupportedFamily() {
        var bytes = Self.message()
        bytes[0] = 7
        #expect(throws: DecodeError.unsupportedFamily(7)) { try Self.decode(bytes) }
    }

    @Test("a netlink message longer than the datagram is rejected")
    func messageCursorBounds() {
        let header: [UInt8] = [0xff, 0, 0, 0, 0, 1, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0]
        header.withUnsafeBytes { buffer in
            var cursor = NetlinkMessageCursor(buffer)
            #expect(throws: DecodeError.self) { _ = try cursor.next() }
        }
    }

    @Test("every truncation of every captured kernel message throws or decodes")
    func truncatedKernelMessages() throws {
        for payload in try FixtureLoader.payloads("lab-dump.hex") {
            for length in stride(from: 0, to: payload.count, by: 3) {
                _ = try? Self.decode(Array(payload[..<length]))
            }
        }
    }
}
