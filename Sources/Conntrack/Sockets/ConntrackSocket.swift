import CConntrack
import CConntrackShim
import Glibc
import SystemPackage

/// A ctnetlink socket for requests (dumps, statistics). Owns the socket and
/// its receive buffer; read-only: it never sends a message that changes the table.
///
/// Not thread-safe: use one socket per thread. Events need a socket of their own.
public final class ConntrackSocket {
    private let socket: OpaquePointer
    // Internal (not private) for the requests in ConntrackSocket+Statistics.swift.
    let portID: UInt32
    var sequence: UInt32
    let buffer: UnsafeMutableRawBufferPointer
    /// The namespace this socket reads (nil: the caller's own).
    public let namespace: NetworkNamespace?

    /// The kernel caps a dump datagram at about 32 KiB; twice that never truncates.
    private static let bufferSize = 64 * 1024

    /// Opens a socket in `namespace` (or the current one). The thread enters
    /// the namespace only while the socket is created.
    public init(namespace: NetworkNamespace? = nil) throws(ConntrackError) {
        self.namespace = namespace
        let open = { () throws(ConntrackError) -> OpaquePointer in
            guard let socket = mnl_socket_open2(NETLINK_NETFILTER, Int32(SOCK_CLOEXEC.rawValue)) else {
                throw .from(Errno(rawValue: Glibc.errno), operation: "opening a netfilter netlink socket")
            }
            return socket
        }
        let socket = if let namespace { try namespace.runInside(open) } else { try open() }
        guard mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            let errno = Errno(rawValue: Glibc.errno)
            mnl_socket_close(socket)
            throw ConntrackError.from(errno, operation: "binding the netlink socket")
        }
        self.socket = socket
        self.portID = mnl_socket_get_portid(socket)
        // Distinct starting sequence numbers make stale replies easy to spot.
        self.sequence = UInt32(truncatingIfNeeded: time(nil))
        self.buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 8)
    }

    deinit {
        mnl_socket_close(socket)
        buffer.deallocate()
    }

    /// Streams the table: each decoded flow is handed to `body` and then
    /// forgotten, so memory stays flat however large the table is.
    ///
    /// A dump is not atomic: entries created or deleted during it may or may
    /// not be seen. An entry the kernel sends twice is passed on once and
    /// counted in `DumpResult.duplicates` (see `DumpResendFilter`).
    @discardableResult
    public func dump(_ request: DumpRequest = .everything, _ body: (Flow) -> Void) throws(ConntrackError) -> DumpResult {
        let required = request.requiredStatus
        if let destination = request.replyDestination {
            var delivered = 0
            do throws(ConntrackError) {
                return try runDump(statusMask: required.rawValue, replyDestination: destination) { flow in
                    delivered += 1
                    body(flow)
                }
            } catch {
                guard delivered == 0 && Self.isFilterRefusal(error) else { throw error }
                // Before Linux 5.10 there is no tuple filter: the status filter alone.
                var result = try dump(DumpRequest(requiredStatus: required), body)
                result.kernelFilterFallback =
                    result.kernelFilterFallback
                    ?? "kernel refused the reply-tuple filter (\(error)); status filter only, matched in user space"
                return result
            }
        }
        guard !required.isEmpty else { return try runDump(statusMask: 0, body) }
        var delivered = 0
        do throws(ConntrackError) {
            return try runDump(statusMask: required.rawValue) { flow in
                delivered += 1
                body(flow)
            }
        } catch {
            guard delivered == 0 && Self.isFilterRefusal(error) else { throw error }
            // An older kernel may refuse the attribute: ask again for everything.
            var result = try runDump(statusMask: 0, body)
            result.kernelFilterFallback = "kernel refused the status filter (\(error)); filtering in user space"
            return result
        }
    }

    /// Entries in this namespace's table and the host's maximum.
    public func tableSize() throws(ConntrackError) -> TableSize {
        sequence &+= 1
        let length = ctaudit_build_stats_request(buffer.baseAddress, buffer.count, sequence)
        try send(length: Int(length), operation: "conntrack statistics request")
        var entries: UInt32?
        var maximum: UInt32?
        var finished = false
        while !finished {
            let count = try receive(operation: "conntrack statistics")
            var messages = NetlinkMessageCursor(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            while let message = try Self.decoded({ () throws(DecodeError) in try messages.next() }) {
                guard message.sequence == sequence else { continue }
                if message.type == NetlinkMessage.error {
                    let code = try Self.decoded { () throws(DecodeError) in try message.errorCode() }
                    if code != 0 { throw .from(Errno(rawValue: code), operation: "conntrack statistics") }
                    finished = true
                    continue
                }
                guard message.payload.count >= FlowDecoder.familyHeaderSize else { continue }
                let reply = try Self.decoded { () throws(DecodeError) in try Self.decodeTableSize(message.payload) }
                entries = reply.entries ?? entries
                maximum = reply.maximum ?? maximum
                finished = true
            }
        }
        guard let entries else {
            throw .system(operation: "conntrack statistics (no entry count in reply)", .notSupported)
        }
        return TableSize(entries: entries, maximum: maximum)
    }

    /// The CTA_STATS_GLOBAL_* attributes of one IPCTNL_MSG_CT_GET_STATS reply.
    private static func decodeTableSize(_ payload: UnsafeRawBufferPointer) throws(DecodeError) -> (entries: UInt32?, maximum: UInt32?) {
        var entries: UInt32?
        var maximum: UInt32?
        var attributes = NetlinkAttributeCursor(UnsafeRawBufferPointer(rebasing: payload[FlowDecoder.familyHeaderSize...]))
        while let (type, value) = try attributes.next() {
            switch type {
            case ConntrackAttribute.Stats.globalEntries: entries = try value.bigEndianU32("CTA_STATS_GLOBAL_ENTRIES")
            case ConntrackAttribute.Stats.globalMaxEntries: maximum = try value.bigEndianU32("CTA_STATS_GLOBAL_MAX_ENTRIES")
            default: continue
            }
        }
        return (entries, maximum)
    }

    /// Runs one decoding step of a reply; bytes that do not decode are the
    /// kernel's malformed data, reported as such.
    static func decoded<Value>(_ step: () throws(DecodeError) -> Value) throws(ConntrackError) -> Value {
        do { return try step() } catch { throw .malformedDatagram(error) }
    }

    // MARK: - Internals

    private static func isFilterRefusal(_ error: ConntrackError) -> Bool {
        switch error {
        case .system(_, .invalidArgument), .system(_, .notSupported), .conntrackUnavailable(.notSupported): true
        default: false
        }
    }

    private func runDump(
        statusMask: UInt32, replyDestination: DumpRequest.ReplyDestination? = nil,
        _ body: (Flow) -> Void
    ) throws(ConntrackError) -> DumpResult {
        sequence &+= 1
        let length: UInt32
        if let destination = replyDestination {
            let address = destination.endpoint.address
            length = address.bytes.withUnsafeBufferPointer { bytes in
                ctaudit_build_reply_dump_request(
                    buffer.baseAddress, buffer.count, sequence, statusMask,
                    address.family == .ipv4 ? 4 : 6, bytes.baseAddress,
                    destination.proto.rawValue, destination.endpoint.port)
            }
        } else {
            length = ctaudit_build_dump_request(buffer.baseAddress, buffer.count, sequence, statusMask)
        }
        try send(length: Int(length), operation: "conntrack dump request")
        var reader = DumpReader(
            sequence: sequence, portID: portID, requiredStatus: FlowStatus(rawValue: statusMask),
            tupleFiltered: replyDestination != nil)
        // The kernel fills the next datagram inside recvmsg: a second thread
        // receives while this one decodes (DumpReceiver), so decoding and
        // classifying overlap the kernel's work instead of adding to it.
        if let receiver = DumpReceiver(socket: socket, sequence: sequence, portID: portID, slotSize: Self.bufferSize) {
            defer { receiver.finish() }
            while true {
                let datagram = try receiver.nextDatagram(operation: "conntrack dump")
                if try reader.read(datagram: datagram, body) { return reader.result }
            }
        }
        while true {
            let count = try receive(operation: "conntrack dump")
            if try reader.read(datagram: UnsafeRawBufferPointer(rebasing: buffer[..<count]), body) { return reader.result }
        }
    }

    func send(length: Int, operation: String) throws(ConntrackError) {
        guard length > 0 else {
            throw .system(operation: "building the \(operation)", .noBufferSpace)
        }
        if case .failure(let errno) = SystemCall.retryingInterrupts({ mnl_socket_sendto(socket, buffer.baseAddress, length) }) {
            throw .from(errno, operation: operation)
        }
    }

    func receive(operation: String) throws(ConntrackError) -> Int {
        switch SystemCall.retryingInterrupts({ mnl_socket_recvfrom(socket, buffer.baseAddress, buffer.count) }) {
        case .success(let count): return count
        case .failure(let errno): throw .from(errno, operation: operation)
        }
    }
}
