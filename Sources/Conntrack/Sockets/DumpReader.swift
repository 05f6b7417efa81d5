import SystemPackage

/// Reads the datagrams that answer one dump request, one at a time, with the
/// rules every dump follows: messages of other requests are skipped, an
/// entry that fails to decode is counted and skipped, `NLMSG_ERROR` and
/// `NLMSG_OVERRUN` end the dump with an error, and an entry the kernel sends
/// twice (see `DumpResendFilter`) is passed on once and counted.
///
/// Separate from the socket so that captured or hand-made bytes go through
/// exactly what a live dump does (tests, replay tools).
public struct DumpReader {
    public let sequence: UInt32
    public let portID: UInt32
    /// Status bits the request asked the kernel to filter on (empty: none).
    public let requiredStatus: FlowStatus
    public private(set) var result = DumpResult()
    private var resends = DumpResendFilter()

    /// The request also asked the kernel to filter on a tuple (CTA_FILTER).
    public let tupleFiltered: Bool

    public init(sequence: UInt32, portID: UInt32, requiredStatus: FlowStatus = [], tupleFiltered: Bool = false) {
        self.sequence = sequence
        self.portID = portID
        self.requiredStatus = requiredStatus
        self.tupleFiltered = tupleFiltered
        result.kernelFiltered = !requiredStatus.isEmpty || tupleFiltered
    }

    /// Reads one received datagram, handing each new entry to `body`.
    /// Returns true when the datagram ended the dump (`NLMSG_DONE`).
    public mutating func read(datagram: UnsafeRawBufferPointer, _ body: (Flow) -> Void) throws(ConntrackError) -> Bool {
        result.datagrams += 1
        defer { resends.endDatagram() }
        var messages = NetlinkMessageCursor(datagram)
        while true {
            let next: NetlinkMessage?
            do { next = try messages.next() } catch { throw .malformedDatagram(error) }
            guard let message = next else { return false }
            // Anything not answering this request is stale; skip it.
            guard message.sequence == sequence, message.portID == portID || message.portID == 0 else { continue }
            if message.flags & NetlinkMessage.Flags.dumpInterrupted != 0 { result.interrupted = true }
            switch message.type {
            case NetlinkMessage.done:
                return true
            case NetlinkMessage.error:
                let code: Int32
                do { code = try message.errorCode() } catch { throw .malformedDatagram(error) }
                if code != 0 { throw ConntrackError.from(Errno(rawValue: code), operation: "conntrack dump") }
            case NetlinkMessage.overrun:
                throw .receiveOverrun
            case NetlinkMessage.noop:
                continue
            default:
                guard message.type >> 8 == ConntrackMessageType.subsystem,
                    message.type & 0xff == ConntrackMessageType.new
                else { continue }
                let flow: Flow
                do {
                    flow = try FlowDecoder.decode(message.payload)
                } catch {
                    result.malformed += 1
                    continue
                }
                if resends.isResend(flow) {
                    result.duplicates += 1
                    continue
                }
                result.flows += 1
                if result.kernelFiltered && !Self.kernelApplied(filter: requiredStatus, messageFlags: message.flags, status: flow.status) {
                    // (A tuple filter is verified by its caller, which matches every flow anyway.)
                    result.kernelFiltered = false
                    result.kernelFilterFallback = "kernel ignored the status filter (needs Linux 5.15+); filtering in user space"
                }
                body(flow)
            }
        }
    }

    /// Whether one message of a dump that asked for `filter` shows that the
    /// kernel applied it. A kernel that filters marks every message with
    /// NLM_F_DUMP_FILTERED; one that silently ignores the unknown attribute
    /// (before 5.15) marks none. An entry without the required status bits
    /// proves the same even if a flag were set.
    static func kernelApplied(filter: FlowStatus, messageFlags: UInt16, status: FlowStatus) -> Bool {
        messageFlags & NetlinkMessage.Flags.dumpFiltered != 0 && status.isSuperset(of: filter)
    }
}
