import CConntrack
import Dispatch
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Receives the datagrams of one dump on a second thread while the caller
/// decodes the ones already received.
///
/// The kernel builds the next batch of a dump inside `recvmsg` (netlink_dump
/// runs in the receiving syscall), so a dump is kernel time, then decoding,
/// then kernel time again. With the receiving on its own thread the two
/// overlap on a second core and a large table is read in about the kernel's
/// time alone. Single producer, single consumer, a few fixed buffers handed
/// back and forth with two semaphores; nothing is allocated per datagram.
final class DumpReceiver: @unchecked Sendable {
    // @unchecked: the buffers and `lengths` are shared, but each slot is
    // owned by exactly one side at a time, handed over by the semaphores
    // (which order the memory accesses).
    private static let slots = 4
    private let slotSize: Int
    private let storage: UnsafeMutableRawBufferPointer
    /// Bytes received into each slot, or -errno when the receive failed.
    /// Raw memory, not arrays: an array shared by two threads could be
    /// copied on write under the reader.
    private let lengths: UnsafeMutablePointer<Int>
    /// Whether the datagram in each slot ends the dump (DONE, ERROR, overrun, failure).
    private let ends: UnsafeMutablePointer<Bool>
    private let free = DispatchSemaphore(value: DumpReceiver.slots)
    private let filled = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let socket: OpaquePointer
    private let sequence: UInt32
    private let portID: UInt32
    private var next = 0

    /// Starts receiving the answer to the request `sequence` already sent on `socket`.
    init(socket: OpaquePointer, sequence: UInt32, portID: UInt32, slotSize: Int) {
        self.socket = socket
        self.sequence = sequence
        self.portID = portID
        self.slotSize = slotSize
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: slotSize * Self.slots, alignment: 8)
        lengths = .allocate(capacity: Self.slots)
        lengths.initialize(repeating: 0, count: Self.slots)
        ends = .allocate(capacity: Self.slots)
        ends.initialize(repeating: false, count: Self.slots)
        DispatchQueue.global().async { [self] in receiveAll() }
    }

    deinit {
        storage.deallocate()
        lengths.deallocate()
        ends.deallocate()
    }

    /// The next datagram, valid until the next call; throws the receive error.
    /// Call only until a datagram that ends the dump has been returned.
    func nextDatagram() throws(ConntrackError) -> UnsafeRawBufferPointer {
        if next > 0 { free.signal() }  // the previous datagram is done with
        filled.wait()
        let slot = next % Self.slots
        next += 1
        let length = lengths[slot]
        if length < 0 { throw ConntrackError.from(Errno(rawValue: Int32(-length)), operation: "conntrack dump") }
        return UnsafeRawBufferPointer(start: storage.baseAddress! + slot * slotSize, count: length)
    }

    /// Lets the receiving thread run to the end of the dump (so the socket
    /// is left clean for the next request) and waits for it. Call once, when
    /// the caller is done, whether it read every datagram or stopped early.
    func finish() {
        if next > 0 { free.signal() }
        // Drain what is still to come, unless the last one read ended it.
        var ended = next > 0 && ends[(next - 1) % Self.slots]
        while !ended {
            filled.wait()
            ended = ends[next % Self.slots]
            next += 1
            free.signal()
        }
        finished.wait()
    }

    private func receiveAll() {
        var index = 0
        while true {
            free.wait()
            let slot = index % Self.slots
            let buffer = storage.baseAddress! + slot * slotSize
            var count: Int
            repeat {
                count = mnl_socket_recvfrom(socket, buffer, slotSize)
            } while count < 0 && Glibc.errno == EINTR
            if count < 0 {
                lengths[slot] = -Int(Glibc.errno)
                ends[slot] = true
            } else {
                lengths[slot] = count
                ends[slot] = endsDump(UnsafeRawBufferPointer(start: buffer, count: count))
            }
            let end = ends[slot]
            filled.signal()
            if end { break }
            index += 1
        }
        finished.signal()
    }

    /// Whether a datagram holds the message that ends this dump. Only the
    /// headers are read; a datagram that does not frame is left to the
    /// decoder to report, and ends the dump here (nothing sensible follows).
    private func endsDump(_ datagram: UnsafeRawBufferPointer) -> Bool {
        var messages = NetlinkMessageCursor(datagram)
        do {
            while let message = try messages.next() {
                guard message.sequence == sequence, message.portID == portID || message.portID == 0 else { continue }
                switch message.type {
                case NetlinkMessage.done, NetlinkMessage.error, NetlinkMessage.overrun: return true
                default: continue
                }
            }
            return false
        } catch {
            return true
        }
    }
}
