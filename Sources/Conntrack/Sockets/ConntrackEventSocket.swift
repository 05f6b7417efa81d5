import CConntrack
import CConntrackShim
import Glibc
public import SystemPackage

/// A netlink socket subscribed to conntrack events (new, update, destroy) in
/// one namespace. Separate from `ConntrackSocket`: a dump's replies and a
/// flood of events must not share a queue.
///
/// Under load the kernel can outrun any reader; when the receive queue is
/// full it drops events and the next receive fails with ENOBUFS. This socket
/// never treats that as fatal: it counts the overrun, reports it in
/// `ReceiveOutcome.overrun`, and the caller resyncs from a dump.
///
/// Not thread-safe: one thread owns it.
public final class ConntrackEventSocket {
    /// Which multicast groups to join.
    public struct Groups: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let new = Groups(rawValue: 1 << 0)
        public static let update = Groups(rawValue: 1 << 1)
        public static let destroy = Groups(rawValue: 1 << 2)
        public static let all: Groups = [.new, .update, .destroy]
    }

    /// What one `receiveAvailable` call did.
    public struct ReceiveOutcome: Hashable, Sendable {
        /// Datagrams read.
        public var datagrams = 0
        /// Events handed to the caller.
        public var events = 0
        /// The kernel reported ENOBUFS: events were dropped since the last call.
        public var overrun = false
        /// The queue was empty when the call returned (it did not stop at the limit).
        public var drained = false
        public init() {}
    }

    /// The namespace whose events this socket receives (nil: the caller's own).
    public let namespace: NetworkNamespace?
    /// The socket's descriptor (owned: closed with the socket), for poll(2)
    /// together with other descriptors.
    public let descriptor: FileDescriptor
    /// The receive buffer the kernel granted, as SO_RCVBUF reads it back
    /// (the kernel doubles the requested value for its bookkeeping).
    public let receiveBufferBytes: Int
    /// SO_RCVBUFFORCE was allowed; false means SO_RCVBUF, capped by net.core.rmem_max.
    public let receiveBufferForced: Bool

    /// ENOBUFS reports seen (each means one or more events were dropped).
    public private(set) var overruns = 0
    /// Event messages that did not decode (skipped, never fatal).
    public private(set) var malformed = 0
    /// Datagrams received.
    public private(set) var datagrams = 0

    /// Requested receive buffer when the caller does not say (8 MiB, which
    /// the kernel doubles): keeps up with bursts of ~200k events/s.
    public static let defaultReceiveBufferBytes = 8 * 1024 * 1024

    // One recvmmsg(2) fills up to `slots` datagrams of `slotSize` bytes each.
    // A conntrack event is well under 1 KiB; 8 KiB leaves room for helpers and labels.
    private static let slotSize = 8 * 1024
    private static let slots: UInt32 = 64
    private let buffer: UnsafeMutableRawBufferPointer
    private let lengths: UnsafeMutablePointer<UInt32>
    private let truncated: UnsafeMutablePointer<UInt8>
    /// /proc/net/netlink of the socket's namespace, opened while inside it,
    /// for the kernel's exact per-socket drop counter; nil when unavailable.
    private let netlinkTable: FileDescriptor?
    private let inode: UInt64

    /// Opens a socket in `namespace` (or the current one), joins `groups`, and
    /// asks for a receive buffer of `receiveBufferBytes` with SO_RCVBUFFORCE
    /// (needs CAP_NET_ADMIN), falling back to SO_RCVBUF.
    public init(
        namespace: NetworkNamespace? = nil, groups: Groups = .all,
        receiveBufferBytes requested: Int = ConntrackEventSocket.defaultReceiveBufferBytes
    ) throws(ConntrackError) {
        self.namespace = namespace
        let open = { () throws(ConntrackError) -> (FileDescriptor, FileDescriptor?) in
            let type = Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            let fd = Glibc.socket(AF_NETLINK, type, NETLINK_NETFILTER)
            guard fd >= 0 else {
                throw .from(Errno(rawValue: Glibc.errno), operation: "opening a netfilter netlink socket for events")
            }
            // Opened here so that it reads this namespace's table later on.
            let table = try? SystemCall.open("/proc/thread-self/net/netlink", flags: O_RDONLY).get()
            return (FileDescriptor(rawValue: fd), table)
        }
        let (socket, table) = if let namespace { try namespace.runInside(open) } else { try open() }
        let fd = socket.rawValue
        var ok = false
        defer {
            if !ok {
                try? socket.close()
                try? table?.close()
            }
        }
        guard ctaudit_netlink_bind(fd) == 0 else {
            throw .from(Errno(rawValue: Glibc.errno), operation: "binding the event socket")
        }
        let wanted: [(Groups, UInt32)] = [
            (.new, NFNLGRP_CONNTRACK_NEW.rawValue),
            (.update, NFNLGRP_CONNTRACK_UPDATE.rawValue),
            (.destroy, NFNLGRP_CONNTRACK_DESTROY.rawValue),
        ]
        for (group, number) in wanted where groups.contains(group) {
            var value = Int32(number)
            if setsockopt(fd, Int32(SOL_NETLINK), NETLINK_ADD_MEMBERSHIP, &value, socklen_t(MemoryLayout<Int32>.size)) != 0 {
                throw .from(Errno(rawValue: Glibc.errno), operation: "joining conntrack event group \(number)")
            }
        }
        var size = Int32(clamping: max(requested, 0))
        let length = socklen_t(MemoryLayout<Int32>.size)
        if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, length) == 0 {
            receiveBufferForced = true
        } else {
            receiveBufferForced = false
            // Without CAP_NET_ADMIN: the kernel caps this at net.core.rmem_max.
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, length)
        }
        var granted: Int32 = 0
        var grantedLength = length
        _ = getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &grantedLength)
        receiveBufferBytes = Int(granted)

        var status = stat()
        inode = fstat(fd, &status) == 0 ? UInt64(status.st_ino) : 0
        descriptor = socket
        netlinkTable = table
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.slotSize * Int(Self.slots), alignment: 8)
        lengths = .allocate(capacity: Int(Self.slots))
        truncated = .allocate(capacity: Int(Self.slots))
        ok = true
    }

    deinit {
        try? descriptor.close()
        try? netlinkTable?.close()
        buffer.deallocate()
        lengths.deallocate()
        truncated.deallocate()
    }

    /// Reads the events queued now without blocking, up to about
    /// `maxDatagrams`, and hands each to `body`. ENOBUFS is counted and
    /// reported in the outcome, never thrown; other errors throw.
    public func receiveAvailable(maxDatagrams: Int = 4096, _ body: (ConntrackEvent) -> Void) throws(ConntrackError) -> ReceiveOutcome {
        var outcome = ReceiveOutcome()
        while outcome.datagrams < maxDatagrams {
            let count: Int32
            switch SystemCall.retryingInterrupts({
                ctaudit_recv_batch(descriptor.rawValue, buffer.baseAddress, Self.slotSize, Self.slots, lengths, truncated)
            }) {
            case .success(let received):
                count = received
            case .failure(.resourceTemporarilyUnavailable):
                outcome.drained = true
                return outcome
            case .failure(.noBufferSpace):
                overruns += 1
                outcome.overrun = true
                continue
            case .failure(let errno):
                throw .from(errno, operation: "receiving conntrack events")
            }
            outcome.datagrams += Int(count)
            datagrams += Int(count)
            for slot in 0..<Int(count) {
                if truncated[slot] != 0 {
                    malformed += 1
                    continue
                }
                let start = slot * Self.slotSize
                let bytes = UnsafeRawBufferPointer(rebasing: buffer[start..<(start + Int(lengths[slot]))])
                outcome.events += deliver(bytes, body)
            }
        }
        return outcome
    }

    /// Why `wait` returned.
    public struct Readiness: Hashable, Sendable {
        /// Events are queued on this socket.
        public var events = false
        /// The other descriptor is readable (or hung up).
        public var other = false
    }

    /// Blocks until events are queued, `other` is readable, or
    /// `timeoutMilliseconds` pass (-1: no timeout). A signal interrupting the
    /// wait returns with nothing ready.
    public func wait(timeoutMilliseconds: Int32, other: Int32? = nil) throws(ConntrackError) -> Readiness {
        var descriptors = [pollfd(fd: descriptor.rawValue, events: Int16(POLLIN), revents: 0)]
        if let other { descriptors.append(pollfd(fd: other, events: Int16(POLLIN), revents: 0)) }
        if case .failure(let errno) = SystemCall.poll(
            &descriptors, timeoutMilliseconds: timeoutMilliseconds,
            onInterrupt: .returnNothingReady)
        {
            throw .system(operation: "waiting for conntrack events", errno)
        }
        let ready = Int16(POLLIN) | Int16(POLLERR) | Int16(POLLHUP)
        var readiness = Readiness()
        readiness.events = descriptors[0].revents & ready != 0
        if descriptors.count > 1 { readiness.other = descriptors[1].revents & ready != 0 }
        return readiness
    }

    /// Events the kernel dropped for this socket so far: its exact per-socket
    /// drop counter (sk_drops, the Drops column of /proc/net/netlink in the
    /// socket's namespace). Nil when that file cannot be read.
    public func kernelDropCount() -> UInt64? {
        guard let netlinkTable, inode != 0 else { return nil }
        guard (try? netlinkTable.seek(offset: 0, from: .start)) == 0 else { return nil }
        guard let text = try? BoundedFile.read(netlinkTable, name: "/proc/net/netlink", limit: .kernelFile) else { return nil }
        return Self.dropCount(inNetlinkTable: String(decoding: text, as: UTF8.self), inode: inode)
    }

    /// Finds the Drops column of the row whose Inode is `inode` in the text of
    /// /proc/net/netlink (columns located by the header, not by position).
    static func dropCount(inNetlinkTable text: String, inode: UInt64) -> UInt64? {
        let lines = text.split(separator: "\n")
        guard let header = lines.first?.split(separator: " ", omittingEmptySubsequences: true),
            let dropsColumn = header.firstIndex(of: "Drops"),
            let inodeColumn = header.firstIndex(of: "Inode")
        else { return nil }
        for line in lines.dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > max(dropsColumn, inodeColumn), UInt64(fields[inodeColumn]) == inode else { continue }
            return UInt64(fields[dropsColumn])
        }
        return nil
    }

    // MARK: - Internals

    private func deliver(_ datagram: UnsafeRawBufferPointer, _ body: (ConntrackEvent) -> Void) -> Int {
        var delivered = 0
        var messages = NetlinkMessageCursor(datagram)
        while true {
            let message: NetlinkMessage
            do {
                guard let next = try messages.next() else { break }
                message = next
            } catch {
                // The rest of this datagram cannot be framed; skip it.
                malformed += 1
                break
            }
            do {
                guard
                    let event = try ConntrackEvent.decode(
                        messageType: message.type, flags: message.flags, payload: message.payload)
                else { continue }
                body(event)
                delivered += 1
            } catch {
                malformed += 1
            }
        }
        return delivered
    }
}
