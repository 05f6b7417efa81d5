import CConntrack
import Glibc
import SystemPackage

/// Receives the datagrams of one dump on a second thread while the caller
/// decodes the ones already received.
///
/// The kernel builds the next datagram of a dump inside `recvmsg`
/// (netlink_dump runs in the receiving syscall), so on one thread a dump is
/// kernel time, then decoding, then kernel time again. With the receiving on
/// its own thread the two overlap on a second core (docs/BENCHMARKS.md).
///
/// One producer, one consumer, `slots` fixed buffers: memory stays flat (a
/// few datagrams, however large the table), nothing is allocated per
/// datagram, and the kernel runs at most `slots` datagrams ahead of the
/// decoder. Decoding is faster than the kernel, so the decoder keeps
/// catching up and waiting: it is woken only once `wakeAfter` datagrams
/// wait for it (or the dump ended), not for each one. A wake per datagram
/// (two semaphores, an earlier version) cost a futex call and a context
/// switch each, ~3 600 per 500 000 entries, about what the overlap saved.
final class DumpReceiver: @unchecked Sendable {
    // @unchecked: the buffers, `lengths` and `ends` are shared, but each slot
    // is owned by one side at a time, handed over under `lock` (which orders
    // the memory accesses). The socket is used by the receiving thread only
    // between `init` and the end of `finish()`.
    static let slots = 8
    static let wakeAfter = slots - 1
    private let slotSize: Int
    private let storage: UnsafeMutableRawBufferPointer
    /// Bytes received into each slot, or -errno when the receive failed.
    private let lengths: UnsafeMutablePointer<Int>
    /// Whether the datagram in each slot ends the dump (DONE, ERROR,
    /// overrun, a receive failure or framing the reader will refuse).
    private let ends: UnsafeMutablePointer<Bool>
    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    /// Signalled for the reader (datagrams filled, receiver done) and for the receiver (a slot freed).
    private let readerWake: UnsafeMutablePointer<pthread_cond_t>
    private let receiverWake: UnsafeMutablePointer<pthread_cond_t>
    // Guarded by `lock`:
    private var freeSlots = DumpReceiver.slots
    private var filledSlots = 0
    private var readerWaiting = false
    private var receiverWaiting = false
    private var receiverDone = false
    private let socket: OpaquePointer
    private let sequence: UInt32
    private let portID: UInt32
    // The reader's own: datagrams taken so far, and whether it holds the last one.
    private var next = 0
    private var holding = false
    private var isFinished = false

    /// Starts receiving the answer to the request `sequence` already sent on
    /// `socket`. Nil when no thread could be started (the caller receives itself).
    init?(socket: OpaquePointer, sequence: UInt32, portID: UInt32, slotSize: Int) {
        self.socket = socket
        self.sequence = sequence
        self.portID = portID
        self.slotSize = slotSize
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: slotSize * Self.slots, alignment: 8)
        lengths = .allocate(capacity: Self.slots)
        lengths.initialize(repeating: 0, count: Self.slots)
        ends = .allocate(capacity: Self.slots)
        ends.initialize(repeating: false, count: Self.slots)
        lock = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        readerWake = .allocate(capacity: 1)
        pthread_cond_init(readerWake, nil)
        receiverWake = .allocate(capacity: 1)
        pthread_cond_init(receiverWake, nil)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let started = pthread_create(
            &thread, nil,
            { context in
                let receiver = Unmanaged<DumpReceiver>.fromOpaque(context!).takeRetainedValue()
                // Stop signals (watch's SIGINT/SIGTERM handlers) belong to the caller's thread.
                var stopping = sigset_t()
                sigemptyset(&stopping)
                sigaddset(&stopping, SIGINT)
                sigaddset(&stopping, SIGTERM)
                pthread_sigmask(SIG_BLOCK, &stopping, nil)
                receiver.receiveAll()
                return nil
            }, context)
        guard started == 0 else {
            Unmanaged<DumpReceiver>.fromOpaque(context).release()
            isFinished = true
            return nil
        }
        pthread_detach(thread)
    }

    deinit {
        pthread_cond_destroy(readerWake)
        pthread_cond_destroy(receiverWake)
        pthread_mutex_destroy(lock)
        readerWake.deallocate()
        receiverWake.deallocate()
        lock.deallocate()
        storage.deallocate()
        lengths.deallocate()
        ends.deallocate()
    }

    /// The next datagram, valid until the next call; throws the receive
    /// error. Call only until a datagram that ends the dump was returned.
    func nextDatagram(operation: String) throws(ConntrackError) -> UnsafeRawBufferPointer {
        // A datagram that ended the dump is the last one received.
        if next > 0 && ends[(next - 1) % Self.slots] { throw .malformedDatagram(.missingAttribute("NLMSG_DONE")) }
        let slot = take()
        let length = lengths[slot]
        if length < 0 { throw ConntrackError.from(Errno(rawValue: Int32(-length)), operation: operation) }
        return UnsafeRawBufferPointer(start: storage.baseAddress! + slot * slotSize, count: length)
    }

    /// Lets the receiving thread run to the end of the dump (so the socket
    /// is left clean for the next request) and waits for it. Call once when
    /// the caller is done, whether it read every datagram or stopped early.
    func finish() {
        guard !isFinished else { return }
        isFinished = true
        // Drain what is still to come, unless the last one taken ended it.
        var ended = next > 0 && ends[(next - 1) % Self.slots]
        while !ended { ended = ends[take()] }
        pthread_mutex_lock(lock)
        if holding {
            holding = false
            freeSlots += 1
        }
        while !receiverDone { wait(readerWake, flag: \.readerWaiting) }
        pthread_mutex_unlock(lock)
    }

    /// Gives back the slot read last and takes the next filled one (waiting for it).
    private func take() -> Int {
        pthread_mutex_lock(lock)
        if holding {
            freeSlots += 1
            if receiverWaiting { pthread_cond_signal(receiverWake) }
        }
        while filledSlots == 0 { wait(readerWake, flag: \.readerWaiting) }
        filledSlots -= 1
        holding = true
        pthread_mutex_unlock(lock)
        let slot = next % Self.slots
        next += 1
        return slot
    }

    /// Waits on `condition` with `lock` held, saying so in `flag` meanwhile.
    private func wait(_ condition: UnsafeMutablePointer<pthread_cond_t>, flag: ReferenceWritableKeyPath<DumpReceiver, Bool>) {
        self[keyPath: flag] = true
        pthread_cond_wait(condition, lock)
        self[keyPath: flag] = false
    }

    private func receiveAll() {
        var index = 0
        while true {
            pthread_mutex_lock(lock)
            while freeSlots == 0 { wait(receiverWake, flag: \.receiverWaiting) }
            freeSlots -= 1
            pthread_mutex_unlock(lock)
            let slot = index % Self.slots
            let buffer = storage.baseAddress! + slot * slotSize
            switch SystemCall.retryingInterrupts({ mnl_socket_recvfrom(socket, buffer, slotSize) }) {
            case .success(let count):
                lengths[slot] = count
                ends[slot] = endsDump(UnsafeRawBufferPointer(start: buffer, count: count))
            case .failure(let errno):
                lengths[slot] = -Int(errno.rawValue)
                ends[slot] = true
            }
            let end = ends[slot]
            pthread_mutex_lock(lock)
            filledSlots += 1
            if end { receiverDone = true }
            if readerWaiting && (end || filledSlots >= Self.wakeAfter) { pthread_cond_signal(readerWake) }
            pthread_mutex_unlock(lock)
            if end { return }
            index += 1
        }
    }
    /// Whether a datagram holds a message that ends this dump (or framing
    /// that `DumpReader` refuses: nothing sensible follows). Only the headers
    /// are read, with the reader's rules for which messages answer the request.
    private func endsDump(_ datagram: UnsafeRawBufferPointer) -> Bool {
        var messages = NetlinkMessageCursor(datagram)
        do {
            while let message = try messages.next() {
                guard message.sequence == sequence, message.portID == portID || message.portID == 0 else { continue }
                switch message.type {
                case NetlinkMessage.done, NetlinkMessage.overrun: return true
                case NetlinkMessage.error:
                    // An acknowledgement (error 0) does not end a dump; anything else throws in the reader.
                    guard let code = try? message.errorCode(), code == 0 else { return true }
                default: continue
                }
            }
            return false
        } catch {
            return true
        }
    }
}
