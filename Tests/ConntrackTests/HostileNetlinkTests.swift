import Glibc
import TestSupport
import Testing

@testable import Conntrack

/// Bytes no honest kernel sends, decoded the way the socket readers decode a
/// received datagram (`FlowDecoder.decodeDatagram`): broken framing throws a
/// `DecodeError`, a broken entry is counted and skipped, nothing crashes,
/// loops, or reads past the buffer.
@Suite("Hostile netlink input")
struct HostileNetlinkTests {
    // MARK: - Decoding datagrams (built with NetlinkBytes)

    static func decode(_ bytes: [UInt8]) throws(DecodeError) -> DecodedDatagram {
        // withUnsafeBytes rethrows untyped errors; the decoder only throws DecodeError.
        do {
            return try bytes.withUnsafeBytes { buffer in try FlowDecoder.decodeDatagram(buffer) }
        } catch let error as DecodeError {
            throw error
        } catch {
            fatalError("unexpected \(error)")
        }
    }

    // MARK: - Framing

    @Test func aWellFormedDumpDatagram() throws {
        let result = try Self.decode(NetlinkBytes.entry(id: 1) + NetlinkBytes.entry(id: 2) + NetlinkBytes.done)
        #expect(result.flows.map(\.id) == [1, 2])
        #expect(result.done && result.malformed == 0 && result.errors.isEmpty)
    }

    @Test("nlmsg_len past the datagram, including 0xffffffff, is rejected", arguments: [UInt32(1), 200, 0x7fff_ffff, 0xffff_ffff])
    func messageLongerThanDatagram(length: UInt32) {
        var bytes = NetlinkBytes.entry()
        bytes.replaceSubrange(0..<4, with: NetlinkBytes.le32(UInt32(clamping: UInt64(length) + UInt64(bytes.count))))
        #expect(throws: DecodeError.self) { try Self.decode(bytes) }
    }

    @Test("nlmsg_len below the header (0 would loop forever) is rejected", arguments: [UInt32(0), 1, 15])
    func messageShorterThanHeader(length: UInt32) {
        let bytes = NetlinkBytes.message(type: NetlinkBytes.ctNew, payload: [2, 0, 0, 0], length: length)
        #expect(throws: DecodeError.truncated(what: "netlink message", needed: Int(length), available: bytes.count)) {
            try Self.decode(bytes)
        }
    }

    @Test("a datagram cut anywhere throws or decodes exactly the messages that are whole")
    func everyCutOfADatagram() {
        let messages = [NetlinkBytes.entry(id: 1), NetlinkBytes.error(1), NetlinkBytes.entry(id: 2), NetlinkBytes.done]
        let bytes = messages.flatMap { $0 }
        for length in 0...bytes.count {
            // Whole: every byte of its nlmsg_len is before the cut (its padding may be cut off).
            var whole = 0
            var consumed = 0
            for message in messages {
                let declared = Int(message[0]) | Int(message[1]) << 8 | Int(message[2]) << 16 | Int(message[3]) << 24
                guard consumed + declared <= length else { break }
                whole += 1
                consumed = min(length, consumed + message.count)
            }
            let cut = Array(bytes[..<length])
            if consumed < length {
                // Bytes of a message that is not whole: a truncated datagram, never a silent stop.
                #expect(throws: DecodeError.self, "cut at \(length)") { try Self.decode(cut) }
                continue
            }
            let result: DecodedDatagram
            do {
                result = try Self.decode(cut)
            } catch {
                Issue.record("cut at \(length), after \(whole) whole messages: \(error)")
                continue
            }
            // Entry 1, the error, entry 2, done: what is whole, in order, and nothing else.
            let entries: [UInt32?] = whole >= 3 ? [1, 2] : whole >= 1 ? [1] : []
            #expect(result.flows.map(\.id) == entries, "cut at \(length)")
            #expect(result.errors == (whole >= 2 ? [1] : []), "cut at \(length)")
            #expect(result.done == (whole == 4), "cut at \(length)")
            #expect(result.malformed == 0 && !result.overrun && result.cpuStatistics.isEmpty, "cut at \(length)")
        }
    }

    @Test("trailing bytes shorter than a header are a truncated message, not silence")
    func trailingGarbage() {
        #expect(throws: DecodeError.truncated(what: "nlmsghdr", needed: 16, available: 3)) {
            try Self.decode(NetlinkBytes.entry() + [1, 2, 3])
        }
    }

    @Test("the last message may omit its padding")
    func unpaddedLastMessage() throws {
        var bytes = NetlinkBytes.message(
            type: NetlinkBytes.ctNew, payload: NetlinkBytes.conntrackPayload(extra: NetlinkBytes.attribute(200, [9])))
        bytes.removeLast(3)
        bytes.replaceSubrange(0..<4, with: NetlinkBytes.le32(UInt32(bytes.count)))
        #expect(try Self.decode(bytes).flows.count == 1)
    }

    // MARK: - Attributes

    @Test("attribute lengths that overflow the message are errors for that entry only", arguments: [UInt16(0xffff), 0x8000, 0x1000])
    func attributeLengthOverflow(length: UInt16) throws {
        var bad = NetlinkBytes.entry(id: 2)
        bad.replaceSubrange((16 + 4)..<(16 + 6), with: NetlinkBytes.le16(length))  // first nlattr after nfgenmsg
        let result = try Self.decode(NetlinkBytes.entry(id: 1) + bad + NetlinkBytes.entry(id: 3) + NetlinkBytes.done)
        #expect(result.flows.map(\.id) == [1, 3])
        #expect(result.malformed == 1)
    }

    @Test("a nested attribute longer than its parent is an error, not a read past the parent")
    func nestedOverflow() throws {
        var payload = NetlinkBytes.conntrackPayload()
        // CTA_TUPLE_ORIG (at 4) > CTA_TUPLE_IP (at 8) > CTA_IP_V4_SRC (at 12): claim 200 bytes.
        payload.replaceSubrange(12..<14, with: NetlinkBytes.le16(200))
        #expect(throws: DecodeError.self) { try payload.withUnsafeBytes { try FlowDecoder.decode($0) } }
        let result = try Self.decode(NetlinkBytes.message(type: NetlinkBytes.ctNew, payload: payload))
        #expect(result.malformed == 1 && result.flows.isEmpty)
    }

    @Test("an attribute of length 0 (would never advance) is an error", arguments: [UInt16(0), 1, 3])
    func zeroLengthAttribute(length: UInt16) {
        var payload = NetlinkBytes.conntrackPayload()
        payload.replaceSubrange(4..<6, with: NetlinkBytes.le16(length))
        #expect(throws: DecodeError.badAttributeLength(what: "nlattr type 1", length: Int(length))) {
            try payload.withUnsafeBytes { try FlowDecoder.decode($0) }
        }
    }

    @Test("unknown attributes at every level, flag bits and unknown types are skipped")
    func unknownEverywhere() throws {
        let unknown = NetlinkBytes.attribute(0x3ffe, [1, 2, 3, 4, 5, 6, 7])
        let nestedUnknown = NetlinkBytes.attribute(0x3ffd, unknown + unknown, nested: true)
        let flow = try NetlinkBytes.decodeFlow(NetlinkBytes.conntrackPayload(extra: unknown + nestedUnknown))
        #expect(flow.id == 42 && flow.translatedSourcePort == 1500)
        let other = NetlinkBytes.message(type: 0x0fff, payload: [1, 2, 3, 4])  // another subsystem
        let noop = NetlinkBytes.message(type: NetlinkMessage.noop, payload: [])
        let result = try Self.decode(noop + other + NetlinkBytes.entry() + NetlinkBytes.done)
        #expect(result.flows.count == 1)
    }

    @Test("status, id and timeout of the wrong size are errors, not short reads", arguments: [UInt16(3), 12, 7])
    func shortScalars(type: UInt16) {
        let bytes: [UInt8] = [2, 0, 0, 0] + NetlinkBytes.attribute(type, [1, 2])
        #expect(throws: DecodeError.self) { try bytes.withUnsafeBytes { try FlowDecoder.decode($0) } }
    }

    // MARK: - Errors and events in a dump

    @Test("NLMSG_ERROR in the middle of a dump is reported with its errno")
    func errorMidDump() throws {
        let result = try Self.decode(NetlinkBytes.entry(id: 1) + NetlinkBytes.error(EPERM) + NetlinkBytes.entry(id: 2))
        #expect(result.errors == [EPERM])
        #expect(result.flows.count == 2 && !result.done)
    }

    @Test("an NLMSG_ERROR too short to hold an errno is a truncated message")
    func truncatedError() {
        #expect(throws: DecodeError.truncated(what: "NLMSG_ERROR", needed: 4, available: 2)) {
            try Self.decode(NetlinkBytes.message(type: NetlinkMessage.error, payload: [1, 2]))
        }
    }

    @Test func overrunIsSeen() throws {
        #expect(try Self.decode(NetlinkBytes.message(type: NetlinkMessage.overrun, payload: [])).overrun)
    }

    @Test("an event message with a broken body throws, a foreign one is ignored")
    func hostileEvents() throws {
        let broken: [UInt8] = [2, 0, 0, 0] + NetlinkBytes.attribute(1, [])
        #expect(throws: DecodeError.self) {
            try broken.withUnsafeBytes { try ConntrackEvent.decode(messageType: NetlinkBytes.ctDelete, flags: 0, payload: $0) }
        }
        let foreign = try [UInt8]([1, 2, 3]).withUnsafeBytes { try ConntrackEvent.decode(messageType: 0x0200, flags: 0, payload: $0) }
        #expect(foreign == nil)
    }

    @Test("decodeDatagram keeps every message; resends are the dump reader's to drop (DumpReaderTests)")
    func duplicatesAreKept() throws {
        let result = try Self.decode(NetlinkBytes.entry(id: 7) + NetlinkBytes.entry(id: 7) + NetlinkBytes.done)
        #expect(result.flows.map(\.id) == [7, 7])
    }

    // MARK: - errno mapping

    @Test(
        "errno from socket calls maps to an actionable ConntrackError",
        arguments: [
            (EPERM, "permission denied: conntrack dump needs root or CAP_NET_ADMIN in the target network namespace"),
            (EACCES, "permission denied: conntrack dump needs root or CAP_NET_ADMIN in the target network namespace"),
            (ENOBUFS, "the kernel dropped netlink messages (ENOBUFS): the receive buffer overflowed; retry"),
            (
                EPROTONOSUPPORT,
                "conntrack netlink is not available (Protocol not supported); is the nf_conntrack_netlink module loaded? try: modprobe nf_conntrack_netlink"
            ),
            (EINTR, "conntrack dump failed: Interrupted system call"),
            (EPROTO, "conntrack dump failed: Protocol error"),
            (EINVAL, "conntrack dump failed: Invalid argument"),
        ])
    func errnoMapping(code: Int32, message: String) {
        let error = ConntrackError.from(.init(rawValue: code), operation: "conntrack dump")
        #expect(error.description == message)
        #expect(!error.description.contains("\n"))
    }

    @Test("ENOBUFS is its own case so watch can resync; EPERM is the permission case")
    func errnoCases() {
        #expect(ConntrackError.from(.init(rawValue: ENOBUFS), operation: "x") == .receiveOverrun)
        #expect(ConntrackError.from(.init(rawValue: EPERM), operation: "x") == .permissionDenied(operation: "x"))
        #expect(ConntrackError.from(.init(rawValue: EPROTO), operation: "x") == .system(operation: "x", .init(rawValue: EPROTO)))
    }

    @Test("a malformed datagram error is one line naming what was wrong")
    func malformedDescription() {
        let error = ConntrackError.malformedDatagram(.truncated(what: "netlink message", needed: 4096, available: 20))
        #expect(error.description == "malformed netlink data from the kernel: truncated netlink message: needs 4096 bytes, 20 available")
    }

    // MARK: - Namespaces

    @Test("namespace names that would leave /run/netns are refused", arguments: ["", ".", "..", "a\u{0}b"])
    func badNamespaceNames(name: String) {
        #expect(throws: ConntrackError.invalidNamespaceName(name)) { try NetworkNamespace.resolve(name) }
    }

    @Test("a path with .. is taken as the path it is; a name never becomes one")
    func dotDotPaths() throws {
        #expect(try NetworkNamespace.resolve("../../etc/passwd").path == "../../etc/passwd")
        #expect(try NetworkNamespace.resolve("..cni").path == "/run/netns/..cni")
    }

    @Test("a FIFO given as a namespace fails at once instead of blocking the open")
    func fifoNamespace() throws {
        let path = "/tmp/ctaudit-fifo-\(getpid())-\(UniqueName.tag(length: 6))"
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        let namespace = try NetworkNamespace.resolve(path)
        #expect(throws: ConntrackError.self) { try namespace.withEntered { 0 } }
    }
}
