public import Conntrack
import NodeState
public import Policy

/// Runs `watch`: a single-threaded loop over the event socket that hands
/// records to the caller as flows appear, change and end.
///
/// The loop reads every queued event without blocking (recvmmsg batches),
/// and blocks in poll(2) only when the queue is empty, on the event socket
/// and the caller's stop descriptor (the signal self-pipe) together. When the
/// kernel reports ENOBUFS it keeps reading what is queued, then dumps the
/// table's source-NATed entries on a second socket, so every violation still
/// in the table is reported even though its events were lost. It also dumps
/// once at start (flows older than the watch) and, while violations from that
/// dump are alive, every follow interval (they may never send an event).
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
    /// How notices name what the user can change (the receive buffer): the caller's words.
    public var hints = ReaderHintWording.plain

    /// Watches until `durationNanoseconds` pass, `count` records were emitted,
    /// or `stopDescriptor` becomes readable.
    ///
    /// It starts with a dump: flows already in the table are counted (and
    /// reported as `existing`), and the violations among them are followed by
    /// a dump every `followIntervalNanoseconds` until they end, because with
    /// the kernel default nf_conntrack_events=2 an entry created before any
    /// event listener existed never sends an event.
    ///
    /// - emit: a record to print.
    /// - idle: called before the loop blocks (flush buffered output here).
    /// - notice: a one-line message for stderr (lost events, resyncs).
    /// - publish: called after the initial dump, then at least every
    ///   `publishIntervalNanoseconds` and whenever the queue is drained, at
    ///   most every 100 ms (counters for /metrics and the textfile).
    public func run(
        durationNanoseconds: UInt64? = nil, count: Int? = nil, stopDescriptor: Int32? = nil,
        followIntervalNanoseconds: UInt64 = 15_000_000_000,
        publishIntervalNanoseconds: UInt64? = nil,
        emit: (WatchRecord) -> Void, idle: () -> Void = {}, notice: (String) -> Void = { _ in },
        publish: (WatchCounters, WatchSummary) -> Void = { _, _ in }
    ) throws -> WatchContext.StopReason {
        let start = SystemClock.monotonicNanoseconds()
        var pendingResync = false
        var lastResync: UInt64 = 0
        var lastDump = start
        var lastPublish: UInt64 = 0
        var lostReported: UInt64 = 0
        // Ended flows from the last dump wait for the events queued behind it.
        var pendingSettle = false
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
        func handleEvents(maxDatagrams: Int = 4096) throws -> ConntrackEventSocket.ReceiveOutcome {
            try events.receiveAvailable(maxDatagrams: maxDatagrams) { event in
                if let record = tracker.handle(event, nowNanoseconds: SystemClock.wallNanoseconds()) { report(record) }
            }
        }
        func publishNow(_ now: UInt64) {
            lastPublish = now
            tracker.noteSocket(eventsLost: events.kernelDropCount(), overruns: events.overruns, malformed: events.malformed)
            // Values only: holding the tracker would make its tables copy on the next write.
            publish(tracker.counters, tracker.summary)
        }
        var dumpCutShort = false
        func dump(_ reason: WatchTracker.DumpReason) throws {
            // Repeating a dump that was cut short: the loss was already said
            // (unless more events were dropped meanwhile).
            let outcome = try dumpNow(
                reason, lostReported: lostReported, repeating: dumpCutShort,
                report: report, notice: notice, handleEvents: { _ = try handleEvents(maxDatagrams: 256) })
            lostReported = outcome.lostReported
            lastDump = SystemClock.monotonicNanoseconds()
            if reason == .resync { lastResync = lastDump }
            pendingSettle = true
            // A dump cut short by ENOBUFS missed entries: stay pending so the
            // loop (or the final pass below) dumps again.
            dumpCutShort = !outcome.complete
            pendingResync = dumpCutShort || outcome.overran
        }

        // Subscribed first (in init), then dumped: a flow created in between
        // shows up in both and is counted once (by identity).
        try dump(.initial)
        var initialAttempts = 1
        while dumpCutShort && initialAttempts < Self.finalResyncAttempts {
            try dump(.initial)
            initialAttempts += 1
        }
        publishNow(SystemClock.monotonicNanoseconds())

        var reason: WatchContext.StopReason
        loop: while true {
            if let count, tracker.summary.reported >= count {
                reason = .count
                break
            }
            let now = SystemClock.monotonicNanoseconds()
            var remaining: UInt64?
            if let durationNanoseconds {
                guard now - start < durationNanoseconds else {
                    reason = .duration
                    break
                }
                remaining = durationNanoseconds - (now - start)
            }
            let outcome = try handleEvents()
            if outcome.overrun { pendingResync = true }
            if outcome.drained && pendingSettle {
                tracker.settleEnded()
                pendingSettle = false
            }
            if pendingResync && outcome.drained && now - lastResync >= Self.resyncInterval {
                try dump(.resync)
            } else if tracker.followedViolations > 0 && now - lastDump >= followIntervalNanoseconds {
                try dump(.follow)
            }
            if outcome.drained || pending.count >= Self.maxPendingRecords { emitPending() }
            if let publishIntervalNanoseconds {
                let since = now - lastPublish
                if since >= publishIntervalNanoseconds || (outcome.drained && since >= 100_000_000) { publishNow(now) }
            }
            if let count, tracker.summary.reported >= count {
                reason = .count
                break
            }
            var timeout: Int32 = 0
            if outcome.drained {
                idle()
                var wait = remaining.map { Int64($0 / 1_000_000) + 1 } ?? -1
                // A resync held back by the interval must still happen soon.
                if pendingResync { wait = wait < 0 ? 200 : min(wait, 200) }
                if tracker.followedViolations > 0 {
                    let due = Int64((lastDump + followIntervalNanoseconds).subtractingClamped(now) / 1_000_000) + 1
                    wait = wait < 0 ? due : min(wait, due)
                }
                if let publishIntervalNanoseconds {
                    let due = Int64(publishIntervalNanoseconds / 1_000_000) + 1
                    wait = wait < 0 ? due : min(wait, due)
                }
                timeout = Int32(clamping: wait)
            }
            let ready = try events.wait(timeoutMilliseconds: timeout, other: stopDescriptor)
            if ready.other {
                reason = .signal
                break loop
            }
        }

        // Events already queued happened before the stop: read them (bounded,
        // in case a flood never lets the queue empty), then make the counts whole.
        let last = try handleEvents(maxDatagrams: 65536)
        if last.overrun || pendingResync || (events.kernelDropCount() ?? 0) > lostReported {
            try dump(.resync)
            // The dump socket is separate from the event socket, so a retry
            // usually completes; give up after a few so a stop stays prompt.
            var attempts = 1
            while dumpCutShort && attempts < Self.finalResyncAttempts {
                try dump(.resync)
                attempts += 1
            }
            if dumpCutShort {
                notice("ctaudit: gave up resyncing after \(attempts) cut-short dumps: violations whose events were lost may be missing")
            }
            _ = try handleEvents(maxDatagrams: 65536)
        }
        tracker.settleEnded()
        emitPending()
        publishNow(SystemClock.monotonicNanoseconds())
        idle()
        return reason
    }

    /// Dumps the source-NATed entries and folds them in, reading the event
    /// queue between the dump's batches (a dump of a big table takes long
    /// enough for a busy node's events to overflow the queue). Returns the
    /// kernel's drop count at the time, for the next notice, whether the dump
    /// was whole (false: it overflowed and must be repeated), and whether the
    /// event queue overflowed meanwhile.
    private func dumpNow(
        _ reason: WatchTracker.DumpReason, lostReported: UInt64, repeating: Bool,
        report: (WatchRecord) -> Void, notice: (String) -> Void, handleEvents: () throws -> Void
    ) throws -> (lostReported: UInt64, complete: Bool, overran: Bool) {
        let dropped = reason == .resync ? events.kernelDropCount() : nil
        if reason == .resync {
            let newlyLost = dropped.map { $0 - min($0, lostReported) } ?? 0
            if !repeating || newlyLost > 0 {
                // ENOBUFS can come without a counted drop (an event the kernel
                // failed to build): say "events" then, never stay silent.
                let lost = newlyLost > 0 ? "\(newlyLost) conntrack events" : "conntrack events"
                notice(
                    "ctaudit: the kernel dropped \(lost): the receive queue (\(events.receiveBufferBytes) bytes) overflowed; "
                        + "resyncing from a table dump (a larger \(hints(.receiveBuffer)) helps)")
            }
        }
        let overrunsBefore = events.overruns
        tracker.beginDump(reason)
        var sinceEvents = 0
        var eventError: (any Error)?
        do {
            try requests.dump(.sourceNATed) { flow in
                if let record = tracker.dumped(flow, nowNanoseconds: SystemClock.wallNanoseconds()) { report(record) }
                sinceEvents += 1
                if sinceEvents >= 512 && eventError == nil {
                    sinceEvents = 0
                    do { try handleEvents() } catch { eventError = error }
                }
            }
            if let eventError { throw eventError }
            tracker.finishDump()
        } catch ConntrackError.receiveOverrun {
            // The dump itself overflowed; the caller repeats it, on a fresh
            // socket (this one still has the cut-short dump running).
            notice("ctaudit: the \(reason == .resync ? "resync" : "table") dump was cut short (ENOBUFS); dumping again")
            requests = try ConntrackSocket(namespace: namespace)
            return (dropped ?? lostReported, false, events.overruns > overrunsBefore)
        }
        return (dropped ?? lostReported, true, events.overruns > overrunsBefore)
    }
}

extension UInt64 {
    fileprivate func subtractingClamped(_ other: UInt64) -> UInt64 { self >= other ? self - other : 0 }
}
