import TestSupport
import Testing

@testable import Conntrack

/// Malformed input: the decoder throws a `DecodeError`, never crashes or
/// reads past the bytes it was given.
@Suite("Decoder bounds")
struct FlowDecoderBoundsTests {
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
        let flow = try Self.decode(NetlinkBytes.conntrackPayload())
        #expect(flow.original.source.description == "10.244.0.3")
        #expect(flow.translatedSourcePort == 1500)
        #expect(flow.isSourceNATed && flow.isPortRemapped && flow.isUnreplied)
        #expect(flow.id == 42)
    }

    @Test func skipsUnknownAttributes() throws {
        let flow = try Self.decode(NetlinkBytes.conntrackPayload(extra: NetlinkBytes.attribute(200, [1, 2, 3, 4, 5])))
        #expect(flow.id == 42)
    }

    @Test("every truncation of a valid message throws, or decodes only the attributes that are whole")
    func everyTruncation() throws {
        try Self.checkEveryTruncation(of: NetlinkBytes.conntrackPayload(), name: "hand-built message")
    }

    @Test func attributeLengthPastTheEnd() {
        var bytes = NetlinkBytes.conntrackPayload()
        bytes[4] = 0xff  // first attribute claims 255+ bytes
        bytes[5] = 0x0f
        #expect(throws: DecodeError.self) { try Self.decode(bytes) }
    }

    @Test func attributeLengthBelowHeader() {
        var bytes = NetlinkBytes.conntrackPayload()
        bytes[4] = 2
        bytes[5] = 0
        #expect(throws: DecodeError.badAttributeLength(what: "nlattr type 1", length: 2)) { try Self.decode(bytes) }
    }

    @Test func missingReplyTuple() {
        let bytes: [UInt8] = [2, 0, 0, 0] + NetlinkBytes.tuple(1, src: [10, 0, 0, 1], dst: [10, 0, 0, 2], proto: 17, sport: 1, dport: 2)
        #expect(throws: DecodeError.missingAttribute("CTA_TUPLE_REPLY")) { try Self.decode(bytes) }
    }

    @Test func wrongAddressLength() {
        let bytes: [UInt8] = [2, 0, 0, 0] + NetlinkBytes.tuple(1, src: [10, 0, 0], dst: [10, 0, 0, 2], proto: 17, sport: 1, dport: 2)
        #expect(throws: DecodeError.badAttributeLength(what: "CTA_IP_V4_SRC", length: 3)) { try Self.decode(bytes) }
    }

    @Test func unsupportedFamily() {
        var bytes = NetlinkBytes.conntrackPayload()
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

    @Test("every truncation of every captured kernel message throws, or decodes only the attributes that are whole")
    func truncatedKernelMessages() throws {
        let payloads = try FixtureLoader.payloads("lab-dump.hex")
        #expect(!payloads.isEmpty)
        for (number, payload) in payloads.enumerated() {
            try Self.checkEveryTruncation(of: payload, name: "lab-dump.hex message \(number)")
        }
    }

    /// Cuts `payload` (a conntrack message that decodes) at every length. The
    /// decoder cannot tell a cut on an attribute boundary from a message
    /// without the later attributes, so the contract is: a cut inside an
    /// attribute throws `.truncated`; a cut without both tuples throws
    /// `.missingAttribute`; any other cut decodes to the whole message's flow
    /// with every attribute past the cut at its absent value, never a field
    /// read from a partial attribute.
    static func checkEveryTruncation(of payload: [UInt8], name: String) throws {
        let full = try decode(payload)
        // The top-level attributes: (type, end offset).
        var attributes: [(type: UInt16, end: Int)] = []
        var offset = FlowDecoder.familyHeaderSize
        while offset + 4 <= payload.count {
            let length = Int(payload[offset]) | Int(payload[offset + 1]) << 8
            let type = (UInt16(payload[offset + 2]) | UInt16(payload[offset + 3]) << 8) & 0x3fff
            attributes.append((type, offset + length))
            offset += (length + 3) & ~3
        }
        for length in 0..<payload.count {
            let cut = Array(payload[..<length])
            let context = "\(name) cut at \(length) of \(payload.count)"
            guard length >= FlowDecoder.familyHeaderSize else {
                #expect(throws: DecodeError.truncated(what: "nfgenmsg", needed: 4, available: length), "\(context)") { try decode(cut) }
                continue
            }
            let whole = attributes.prefix { $0.end <= length }
            let wholeTypes = Set(whole.map(\.type))
            let restStart = whole.last.map { ($0.end + 3) & ~3 } ?? FlowDecoder.familyHeaderSize
            let result = Result { () throws(DecodeError) in try decode(cut) }
            if length - restStart >= 4 {
                // A header is there and its attribute is not whole.
                guard case .failure(.truncated) = result else {
                    Issue.record("\(context): a partial attribute gave \(result), not .truncated")
                    continue
                }
            } else if !wholeTypes.contains(ConntrackAttribute.tupleOriginal) || !wholeTypes.contains(ConntrackAttribute.tupleReply) {
                guard case .failure(.missingAttribute) = result else {
                    Issue.record("\(context): no whole tuples gave \(result), not .missingAttribute")
                    continue
                }
            } else {
                var expected = full
                if !wholeTypes.contains(ConntrackAttribute.status) { expected.status = FlowStatus(rawValue: 0) }
                if !wholeTypes.contains(ConntrackAttribute.protoInfo) { expected.protocolState = nil }
                if !wholeTypes.contains(ConntrackAttribute.timeout) { expected.timeout = nil }
                if !wholeTypes.contains(ConntrackAttribute.mark) { expected.mark = 0 }
                if !wholeTypes.contains(ConntrackAttribute.id) { expected.id = nil }
                if !wholeTypes.contains(ConntrackAttribute.zone) { expected.zone = 0 }
                if !wholeTypes.contains(ConntrackAttribute.timestamp) { expected.startedAtNanoseconds = nil }
                #expect(result == .success(expected), "\(context)")
            }
        }
    }
}
