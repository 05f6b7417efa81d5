import CConntrack

/// One netlink message (struct nlmsghdr and its payload), borrowed from the
/// receive buffer.
struct NetlinkMessage {
    var type: UInt16
    var flags: UInt16
    var sequence: UInt32
    var portID: UInt32
    var payload: UnsafeRawBufferPointer

    static let headerSize = 16
    static let noop = UInt16(NLMSG_NOOP)
    static let error = UInt16(NLMSG_ERROR)
    static let done = UInt16(NLMSG_DONE)
    static let overrun = UInt16(NLMSG_OVERRUN)

    /// nlmsg_flags bits the readers look at.
    enum Flags {
        /// NLM_F_DUMP_INTR: the kernel says the dump may be inconsistent.
        static let dumpInterrupted = UInt16(NLM_F_DUMP_INTR)
        /// NLM_F_DUMP_FILTERED: the kernel applied the dump filter it was given.
        static let dumpFiltered = UInt16(NLM_F_DUMP_FILTERED)
    }

    /// For NLMSG_ERROR: the errno the kernel reports (0 is an acknowledgement).
    func errorCode() throws(DecodeError) -> Int32 {
        guard payload.count >= 4 else {
            throw .truncated(what: "NLMSG_ERROR", needed: 4, available: payload.count)
        }
        // Wrapping: INT32_MIN (no kernel sends it, a fuzzer did) must not trap.
        return 0 &- payload.loadUnaligned(as: Int32.self)
    }
}

/// Splits one received datagram into netlink messages, checking every
/// nlmsg_len against the bytes received.
struct NetlinkMessageCursor {
    private let buffer: UnsafeRawBufferPointer
    private var offset = 0

    init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
    }

    mutating func next() throws(DecodeError) -> NetlinkMessage? {
        let remaining = buffer.count - offset
        guard remaining >= NetlinkMessage.headerSize else {
            if remaining == 0 { return nil }
            throw .truncated(what: "nlmsghdr", needed: NetlinkMessage.headerSize, available: remaining)
        }
        let length = Int(buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        guard length >= NetlinkMessage.headerSize, length <= remaining else {
            throw .truncated(what: "netlink message", needed: length, available: remaining)
        }
        let message = NetlinkMessage(
            type: buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self),
            flags: buffer.loadUnaligned(fromByteOffset: offset + 6, as: UInt16.self),
            sequence: buffer.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self),
            portID: buffer.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self),
            payload: UnsafeRawBufferPointer(rebasing: buffer[(offset + NetlinkMessage.headerSize)..<(offset + length)])
        )
        offset = min(buffer.count, offset + ((length + 3) & ~3))
        return message
    }
}
