public import Conntrack

/// Runs `watch`: a single-threaded loop over the event socket that hands
/// records to the caller as flows appear, change and end.
///
/// The loop reads every queued event without blocking (recvmmsg batches),
/// and blocks in poll(2) only when the queue is empty, on the event socket
/// and the caller's stop descriptor (the signal self-pipe) together. When the
/// kernel reports ENOBUFS it keeps reading what is queued, then dumps the
/// table's source-NATed entries on a second socket, so every violation still
/// in the table is reported even though its events were lost.
public final class Watcher {
    public let namespace: NetworkNamespace?
    public private(set) var tracker: WatchTracker
    private let events: ConntrackEventSocket
    /// Replaced after a resync dump overflows: the kernel still holds that
    /// dump open on the old socket and would refuse a new one (EBUSY).
    private var requests: ConntrackSocket

    /// Resyncs run at most this often while a flood keeps overflowing the
    /// queue: a dump per overflow would only add load.
    private static let resyncInterval: UInt64 = 1_000_000_000
    /// Records held back while events keep arriving; past this they are
    /// written even though the queue is not empty (bounds memory).
    private static let maxPendingRecords = 200_000
    /// Dumps tried at the end of a watch when the resync dump itself overflows.
    private static let finalResyncAttempts = 3

    /// Opens the event socket (subscribed before anything is read, so no
    /// event is missed between the two) and the request socket for resyncs.
    public init(
        policy: AuditPolicy, namespace: NetworkNamespace?, reportsAllRemaps: Bool = false,
        receiveBufferBytes: Int = ConntrackEventSocket.defaultReceiveBufferBytes
    ) throws {
        self.namespace = namespace
        self.tracker = WatchTracker(policy: policy, reportsAllRemaps: reportsAllRemaps)
        self.events = try ConntrackEventSocket(namespace: namespace, receiveBufferBytes: receiveBufferBytes)
        self.requests = try ConntrackSocket(namespace: namespace)
    }

    /// The receive buffer the kernel granted, in bytes.
    public var receiveBufferBytes: Int { events.receiveBufferBytes }
    /// Whether SO_RCVBUFFORCE was allowed.
    public var receiveBufferForced: Bool { events.receiveBufferForced }
    public var summary: WatchSummary { tracker.summary }

    /// Watches until `durationNanoseconds` pass, `count` records were emitted,
    /// or `stopDescriptor` becomes readable.
    ///
    /// - emit: a record to print.
    /// - idle: called before the loop blocks (flush buffered output here).
    /// - notice: a one-line message for stderr (lost events, resyncs).
    public func run(
        durationNanoseconds: UInt64? = nil, count: Int? = nil, stopDescriptor: Int32? = nil,
        emit: (WatchRecord) -> Void, idle: () -> Void = {}, notice: (String) -> Void = { _ in }
    ) throws -> WatchContext.StopReason {
        let start = SystemClock.monotonicNanoseconds()
        var pendingResync = false
        var lastResync: UInt64 = 0
        var lostReported: UInt64 = 0
        // Records wait here until the socket's queue is empty: reading first
        // keeps the kernel queue short during a burst (an event costs ~1 KiB
        // there and ~0.2 KiB here), and formatting happens in the lulls.
        var pending: [WatchRecord] = []
        pending.reserveCapacity(1024)
        func report(_ record: WatchRecord) {
            if let count, tracker.summary.reported >= count { return }
            tracker.noteReported()
            pending.append(record)
        }
        func emitPending() {
            for record in pending { emit(record) }
            pending.removeAll(keepingCapacity: pending.count <= 65536)
        }
        var dumpCutShort = false
        func resync() throws {
            // Repeating a dump that was cut short: the loss was already said
            // (unless more events were dropped meanwhile).
            let outcome = try resyncNow(lostReported: lostReported, repeating: dumpCutShort,
                                        report: report, notice: notice)
            lostReported = outcome.lostReported
            lastResync = SystemClock.monotonicNanoseconds()
            // A dump cut short by ENOBUFS missed entries: stay pending so the
            // loop (or the final pass below) dumps again.
            dumpCutShort = !outcome.complete
            pendingResync = dumpCutShort
        }

        var reason: WatchContext.StopReason
        loop: while true {
            if let count, tracker.summary.reported >= count { reason = .count; break }
            let now = SystemClock.monotonicNanoseconds()
            var remaining: UInt64?
            if let durationNanoseconds {
                guard now - start < durationNanoseconds else { reason = .duration; break }
                remaining = durationNanoseconds - (now - start)
            }
            let outcome = try events.receiveAvailable { event in
                if let record = tracker.handle(event, nowNanoseconds: SystemClock.wallNanoseconds()) {
                    report(record)
                }
            }
            if outcome.overrun { pendingResync = true }
            if pendingResync && outcome.drained && now - lastResync >= Self.resyncInterval {
                try resync()
            }
            if outcome.drained || pending.count >= Self.maxPendingRecords { emitPending() }
            if let count, tracker.summary.reported >= count { reason = .count; break }
            var timeout: Int32 = 0
            if outcome.drained {
                idle()
                var wait = remaining.map { Int64($0 / 1_000_000) + 1 } ?? -1
                // A resync held back by the interval must still happen soon.
                if pendingResync { wait = wait < 0 ? 200 : min(wait, 200) }
                timeout = Int32(clamping: wait)
            }
            let ready = try events.wait(timeoutMilliseconds: timeout, other: stopDescriptor)
            if ready.other { reason = .signal; break loop }
        }

        // Events already queued happened before the stop: read them (bounded,
        // in case a flood never lets the queue empty), then make the counts whole.
        let last = try events.receiveAvailable(maxDatagrams: 65536) { event in
            if let record = tracker.handle(event, nowNanoseconds: SystemClock.wallNanoseconds()) { report(record) }
        }
        if last.overrun || pendingResync || (events.kernelDropCount() ?? 0) > lostReported {
            try resync()
            // The dump socket is separate from the event socket, so a retry
            // usually completes; give up after a few so a stop stays prompt.
            var attempts = 1
            while pendingResync && attempts < Self.finalResyncAttempts {
                try resync()
                attempts += 1
            }
            if pendingResync {
                notice("ctaudit: gave up resyncing after \(attempts) cut-short dumps: violations whose events were lost may be missing")
            }
        }
        emitPending()
        tracker.noteSocket(eventsLost: events.kernelDropCount(), overruns: events.overruns, malformed: events.malformed)
        idle()
        return reason
    }

    /// Dumps the source-NATed entries and folds them in; returns the kernel's
    /// drop count at the time, for the next notice, and whether the dump was
    /// whole (false: it overflowed and must be repeated).
    private func resyncNow(
        lostReported: UInt64, repeating: Bool, report: (WatchRecord) -> Void, notice: (String) -> Void
    ) throws -> (lostReported: UInt64, complete: Bool) {
        let dropped = events.kernelDropCount()
        let newlyLost = dropped.map { $0 - min($0, lostReported) } ?? 0
        if !repeating || newlyLost > 0 {
            // ENOBUFS can come without a counted drop (an event the kernel
            // failed to build): say "events" then, never stay silent.
            let lost = newlyLost > 0 ? "\(newlyLost) conntrack events" : "conntrack events"
            notice("ctaudit: the kernel dropped \(lost): the receive queue (\(events.receiveBufferBytes) bytes) overflowed; "
                + "resyncing from a table dump (a larger --receive-buffer helps)")
        }
        tracker.beginResync()
        do {
            try requests.dump(.sourceNATed) { flow in
                if let record = tracker.resync(flow, nowNanoseconds: SystemClock.wallNanoseconds()) { report(record) }
            }
            tracker.finishResync()
        } catch ConntrackError.receiveOverrun {
            // The dump itself overflowed; the caller repeats it, on a fresh
            // socket (this one still has the cut-short dump running).
            notice("ctaudit: the resync dump was cut short (ENOBUFS); dumping again")
            requests = try ConntrackSocket(namespace: namespace)
            return (dropped ?? lostReported, false)
        }
        return (dropped ?? lostReported, true)
    }
}
