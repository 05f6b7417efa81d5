public import Conntrack
public import Policy

/// The decisions of `watch`, without any I/O: folds conntrack events and
/// table dumps (the initial one, follow-ups for flows older than the watch,
/// resyncs after lost events) into records to print, a summary and counters.
///
/// Every in-scope source-NATed flow is remembered by its identity (CTA_ID,
/// original tuple and zone: ids alone collide) from its first sighting until
/// it ends, so each is counted once and a reported flow is printed again only
/// when something an operator cares about changes: it got its first reply, or
/// it ended. Memory grows with the source-NATed flows alive in the table, not
/// with time.
public struct WatchTracker: Sendable {
    public let policy: AuditPolicy
    /// Report every remapped flow (`--remaps`), not only violations.
    public let reportsAllRemaps: Bool
    public private(set) var summary = WatchSummary()
    /// Prometheus counters by (family, proto), kept alongside the summary.
    public private(set) var counters = WatchCounters()

    /// Why a dump runs; decides how its flows are reported and counted.
    public enum DumpReason: Sendable {
        /// At start: flows older than the watch (they may never send an event).
        case initial
        /// Following flows from the initial dump that send no events.
        case follow
        /// After lost events (ENOBUFS).
        case resync
    }

    private struct Tracked: Sendable {
        var key: WatchCounters.Key
        var isViolation: Bool
        var isReported: Bool
        var replied: Bool
        /// An unreplied violation from the initial dump, silent since: with
        /// nf_conntrack_events=2 it may never send an event, so only dumps can
        /// tell whether it ends without a reply. (A replied one cannot change
        /// the counters any more and is not followed: a dump of a big table
        /// every interval for a TCP connection that lives for days would cost
        /// more than the periodic audit the watch replaces.)
        var followedByDumps: Bool
        /// Already counted as ended without a reply (a dump's reckoning).
        var countedUnreplied = false
        /// The dump generation that last saw the flow (or an event for it).
        var generation: UInt32
    }

    private var alive: [FlowIdentity: Tracked] = [:]
    /// Flows a dump did not return. Their DESTROY event may still be queued
    /// behind the dump; until the queue is drained they are not settled, and
    /// until the next dump an event for one is never counted as a new flow.
    private var ended: [FlowIdentity: (tracked: Tracked, settled: Bool)] = [:]
    private var generation: UInt32 = 0
    private var dumpReason: DumpReason = .initial
    /// Tracked violations that only dumps can follow (see `followedByDumps`).
    public var followedViolations: Int { Int(counters.followedExisting) }

    public init(policy: AuditPolicy, reportsAllRemaps: Bool = false) {
        self.policy = policy
        self.reportsAllRemaps = reportsAllRemaps
    }

    /// Flows currently remembered (alive as far as events and dumps showed).
    public var trackedFlows: Int { alive.count }

    /// Folds one event in; returns the record to print, if any.
    public mutating func handle(_ event: ConntrackEvent, nowNanoseconds: UInt64) -> WatchRecord? {
        summary.events += 1
        switch event.kind {
        case .new: summary.eventsNew += 1
        case .update: summary.eventsUpdate += 1
        case .destroy: summary.eventsDestroy += 1
        }
        counters.lastEventNanoseconds = nowNanoseconds
        let flow = event.flow
        // The hot path: most events are for flows that were not source-NATed.
        guard flow.isSourceNATed else { return nil }
        let flowClass = policy.classify(flow)
        guard flowClass != .outOfScope else { return nil }
        let (isViolation, isReported) = Self.decide(flowClass, reportsAllRemaps)
        let identity = flow.identity

        if event.kind == .destroy {
            if var tracked = alive.removeValue(forKey: identity) {
                forget(tracked)
                noteReply(of: tracked, in: flow)
                settle(&tracked, unreplied: flow.isUnreplied)
            } else if var tombstone = ended.removeValue(forKey: identity) {
                // A dump missed it because it was ending: its DESTROY settles it.
                if !tombstone.settled {
                    noteReply(of: tombstone.tracked, in: flow)
                    settle(&tombstone.tracked, unreplied: flow.isUnreplied)
                }
            } else {
                // Never seen alive: its NEW event was lost.
                var tracked = firstSighting(flow, flowClass, isViolation, isReported, followed: false)
                settle(&tracked, unreplied: flow.isUnreplied)
            }
            return isReported ? record(.destroy, flow, isViolation, nowNanoseconds) : nil
        }

        if var tracked = alive[identity] {
            // Known flow: speak up only when it gets its first reply.
            tracked.generation = generation
            if tracked.followedByDumps {
                // It sends events after all (another listener was there first).
                tracked.followedByDumps = false
                counters.followedExisting -= 1
            }
            let gotReply = noteReply(of: tracked, in: flow)
            if gotReply { tracked.replied = true }
            alive[identity] = tracked
            return gotReply && tracked.isReported ? record(.update, flow, isViolation, nowNanoseconds) : nil
        }
        if let tombstone = ended.removeValue(forKey: identity) {
            // A dump missed a flow that is still alive (dumps are not atomic):
            // take it back without counting it again.
            // (Counters never go down: if it was already counted as ended
            // unreplied, `countedUnreplied` keeps its real end from counting again.)
            var tracked = tombstone.tracked
            tracked.generation = generation
            tracked.followedByDumps = false
            if noteReply(of: tracked, in: flow) { tracked.replied = true }
            remember(identity, tracked)
            return nil
        }

        let tracked = firstSighting(flow, flowClass, isViolation, isReported, followed: false)
        remember(identity, tracked)
        guard isReported else { return nil }
        return record(event.kind == .new ? .new : .update, flow, isViolation, nowNanoseconds)
    }

    // MARK: - Dumps: the initial one, follow-ups, resyncs after lost events

    /// Starts a dump: the flows it returns are the truth about the table.
    public mutating func beginDump(_ reason: DumpReason) {
        settleEnded()
        ended.removeAll(keepingCapacity: true)
        generation &+= 1
        dumpReason = reason
        switch reason {
        case .initial: summary.initialDumps += 1
        case .follow: summary.followDumps += 1
        case .resync:
            summary.resyncs += 1
            counters.resyncs += 1
        }
    }

    /// Folds one flow of a dump in; returns a record for a reported flow that
    /// neither events nor earlier dumps had shown.
    public mutating func dumped(_ flow: Flow, nowNanoseconds: UInt64) -> WatchRecord? {
        guard flow.isSourceNATed else { return nil }
        let flowClass = policy.classify(flow)
        guard flowClass != .outOfScope else { return nil }
        let identity = flow.identity
        if var tracked = alive[identity] {
            tracked.generation = generation
            if noteReply(of: tracked, in: flow) {
                tracked.replied = true
                // Replied, it can no longer end unreplied: stop the dumps.
                if tracked.followedByDumps {
                    tracked.followedByDumps = false
                    counters.followedExisting -= 1
                }
            }
            alive[identity] = tracked
            return nil
        }
        // (No tombstones here: `beginDump` settled and dropped them.)
        let (isViolation, isReported) = Self.decide(flowClass, reportsAllRemaps)
        let initial = dumpReason == .initial
        let tracked = firstSighting(flow, flowClass, isViolation, isReported, followed: initial)
        remember(identity, tracked)
        if initial && isViolation { summary.existingViolations += 1 }
        guard isReported else { return nil }
        if !initial && isViolation { summary.resyncFound += 1 }
        return record(initial ? .existing : .resync, flow, isViolation, nowNanoseconds)
    }

    /// Ends a dump: remembered flows it did not return have ended (their
    /// DESTROY was lost, is still queued, or never existed). They are settled
    /// by `settleEnded()` once the queued events were read.
    public mutating func finishDump() {
        var gone: [FlowIdentity] = []
        for (identity, tracked) in alive where tracked.generation != generation { gone.append(identity) }
        for identity in gone {
            guard let tracked = alive.removeValue(forKey: identity) else { continue }
            forget(tracked)
            ended[identity] = (tracked, false)
            summary.endedUnseen += 1
        }
    }

    /// Settles the flows the last dump found ended and no DESTROY event
    /// explained: a violation that never showed a reply counts as unreplied.
    /// Call once the events queued during the dump have been read.
    public mutating func settleEnded() {
        for (identity, entry) in ended where !entry.settled {
            var tracked = entry.tracked
            settle(&tracked, unreplied: !tracked.replied)
            ended[identity] = (tracked, true)
        }
    }

    // MARK: - Counters kept by the caller

    /// Records what the event socket saw: kernel drops, ENOBUFS reports, undecodable messages.
    public mutating func noteSocket(eventsLost: UInt64?, overruns: Int, malformed: Int) {
        summary.overruns = overruns
        summary.malformed = malformed
        if let eventsLost, eventsLost > 0 || overruns == 0 {
            summary.eventsLost = eventsLost
            summary.eventsLostExact = true
        } else {
            // No counter, or ENOBUFS reported with no counted drop (events
            // the kernel failed to build are lost without one): a lower bound.
            summary.eventsLost = UInt64(overruns)
            summary.eventsLostExact = overruns == 0
        }
        counters.eventsLost = summary.eventsLost
        counters.overruns = UInt64(overruns)
        counters.malformed = UInt64(malformed)
    }

    public mutating func noteReported() { summary.reported += 1 }

    // MARK: - Internals

    private static func decide(_ flowClass: FlowClass, _ reportsAllRemaps: Bool) -> (isViolation: Bool, isReported: Bool) {
        switch flowClass {
        case .violation: (true, true)
        // A flow a rule ctaudit cannot judge decides is always shown (marked uncertain), never a violation.
        case .uncertain: (false, true)
        case .allowed(let remapped), .nodeLocal(let remapped): (false, reportsAllRemaps && remapped)
        case .notSourceNATed, .outOfScope, .withoutPorts: (false, false)
        }
    }

    /// Counts a flow seen for the first time; returns what to remember of it.
    private mutating func firstSighting(
        _ flow: Flow, _ flowClass: FlowClass, _ isViolation: Bool, _ isReported: Bool, followed: Bool
    ) -> Tracked {
        let key = WatchCounters.Key(family: flow.family, proto: flow.proto)
        switch flowClass {
        case .notSourceNATed, .outOfScope:
            break
        case .nodeLocal:
            // Its peer is on this node: no upstream firewall in the way, not
            // counted as source-NATed pod egress (as in audit).
            summary.nodeLocal += 1
        case .withoutPorts:
            summary.snat += 1
            summary.withoutPorts += 1
            counters.add(\.snat, key)
        case .allowed(let remapped):
            summary.snat += 1
            if remapped { summary.remapped += 1 }
            counters.add(\.snat, key)
        case .uncertain(let remapped):
            summary.snat += 1
            summary.uncertain += 1
            if remapped { summary.remapped += 1 }
            counters.add(\.snat, key)
            counters.add(\.uncertain, key)
        case .violation(let remapped):
            summary.snat += 1
            summary.violations += 1
            if remapped { summary.remapped += 1 } else { summary.violationsKeptPort += 1 }
            summary.lowestViolationPort = min(summary.lowestViolationPort ?? .max, flow.translatedSourcePort)
            if !flow.isUnreplied { summary.violationsReplied += 1 }
            counters.add(\.snat, key)
            counters.add(\.violating, key)
        }
        return Tracked(
            key: key, isViolation: isViolation, isReported: isReported, replied: !flow.isUnreplied,
            followedByDumps: followed && isViolation && flow.isUnreplied, generation: generation)
    }

    private mutating func remember(_ identity: FlowIdentity, _ tracked: Tracked) {
        alive[identity] = tracked
        if tracked.isViolation { counters.add(\.current, tracked.key) }
        if tracked.followedByDumps { counters.followedExisting += 1 }
    }

    private mutating func forget(_ tracked: Tracked) {
        if tracked.isViolation { counters.add(\.current, tracked.key, -1) }
        if tracked.followedByDumps { counters.followedExisting -= 1 }
    }

    /// Counts a violation's first reply; true when `flow` shows the first one.
    @discardableResult
    private mutating func noteReply(of tracked: Tracked, in flow: Flow) -> Bool {
        guard !tracked.replied && !flow.isUnreplied else { return false }
        if tracked.isViolation { summary.violationsReplied += 1 }
        return true
    }

    /// A flow ended; a violation that never got a reply was a failed connection.
    private mutating func settle(_ tracked: inout Tracked, unreplied: Bool) {
        guard tracked.isViolation, unreplied, !tracked.countedUnreplied else { return }
        tracked.countedUnreplied = true
        summary.violationsFailed += 1
        counters.add(\.violatingUnreplied, tracked.key)
    }

    private func record(_ event: WatchRecord.Event, _ flow: Flow, _ isViolation: Bool, _ now: UInt64) -> WatchRecord {
        var age: UInt64?
        if let start = flow.startedAtNanoseconds, now >= start { age = (now - start) / 1_000_000_000 }
        var flow = flow
        // A destroyed entry has no time left; "expires 0s" would only confuse.
        if event == .destroy { flow.timeout = nil }
        var record = WatchRecord(
            event: event, violation: Violation(flow: flow, ageSeconds: age),
            isViolation: isViolation, timeNanoseconds: now)
        if !isViolation, case .uncertain = policy.classify(flow) { record.isUncertain = true }
        if isViolation || record.isUncertain, let firewall = policy.firewall { record.firewallDecision = firewall.decide(flow) }
        return record
    }
}
