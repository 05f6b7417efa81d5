public import Conntrack

/// The decisions of `watch`, without any I/O: folds conntrack events (and
/// resync dumps) into records to print and a summary.
///
/// Every in-scope source-NATed flow is remembered by its identity (CTA_ID,
/// original tuple and zone: ids alone collide) from its first event until its DESTROY, so each is counted once and a reported flow is
/// printed again only when something an operator cares about changes: it got
/// its first reply, or it ended. Memory grows with the source-NATed flows
/// alive in the table, not with time.
public struct WatchTracker: Sendable {
    public let policy: AuditPolicy
    /// Report every remapped flow (`--all`), not only violations.
    public let reportsAllRemaps: Bool
    public private(set) var summary = WatchSummary()

    private struct Tracked: Sendable {
        var isViolation: Bool
        var isReported: Bool
        var replied: Bool
        /// The resync generation that last saw the flow in the table.
        var generation: UInt32
    }

    private var alive: [FlowIdentity: Tracked] = [:]
    private var generation: UInt32 = 0

    public init(policy: AuditPolicy, reportsAllRemaps: Bool = false) {
        self.policy = policy
        self.reportsAllRemaps = reportsAllRemaps
    }

    /// Flows currently remembered (alive as far as the events showed).
    public var trackedFlows: Int { alive.count }

    /// Folds one event in; returns the record to print, if any.
    public mutating func handle(_ event: ConntrackEvent, nowNanoseconds: UInt64) -> WatchRecord? {
        summary.events += 1
        switch event.kind {
        case .new: summary.eventsNew += 1
        case .update: summary.eventsUpdate += 1
        case .destroy: summary.eventsDestroy += 1
        }
        let flow = event.flow
        // The hot path: most events are for flows that were not source-NATed.
        guard flow.isSourceNATed else { return nil }
        let (isViolation, isReported) = classify(flow)
        let identity = flow.identity

        if event.kind == .destroy {
            let tracked = alive.removeValue(forKey: identity)
            if tracked == nil { firstSighting(flow, isViolation: isViolation) }
            if isViolation && !flow.isUnreplied && tracked?.replied == false { summary.violationsReplied += 1 }
            if isViolation && flow.isUnreplied { summary.violationsFailed += 1 }
            return isReported ? record(.destroy, flow, isViolation, nowNanoseconds) : nil
        }

        if var tracked = alive[identity] {
            // Known flow: speak up only when it gets its first reply.
            tracked.generation = generation
            let gotReply = !tracked.replied && !flow.isUnreplied
            if gotReply {
                tracked.replied = true
                if tracked.isViolation { summary.violationsReplied += 1 }
            }
            alive[identity] = tracked
            return gotReply && tracked.isReported ? record(.update, flow, isViolation, nowNanoseconds) : nil
        }

        guard policy.classify(flow) != .outOfScope else { return nil }
        firstSighting(flow, isViolation: isViolation)
        alive[identity] = Tracked(isViolation: isViolation, isReported: isReported, replied: !flow.isUnreplied,
                            generation: generation)
        guard isReported else { return nil }
        return record(event.kind == .new ? .new : .update, flow, isViolation, nowNanoseconds)
    }

    // MARK: - Resync after lost events

    /// Starts a resync: the flows the following dump returns are the truth.
    public mutating func beginResync() {
        generation &+= 1
        summary.resyncs += 1
    }

    /// Folds one flow of the resync dump in; returns a record for a reported
    /// flow the events had not shown (its events were lost).
    public mutating func resync(_ flow: Flow, nowNanoseconds: UInt64) -> WatchRecord? {
        guard flow.isSourceNATed, policy.classify(flow) != .outOfScope else { return nil }
        let identity = flow.identity
        let (isViolation, isReported) = classify(flow)
        if var tracked = alive[identity] {
            tracked.generation = generation
            if !tracked.replied && !flow.isUnreplied {
                tracked.replied = true
                if tracked.isViolation { summary.violationsReplied += 1 }
            }
            alive[identity] = tracked
            return nil
        }
        firstSighting(flow, isViolation: isViolation)
        alive[identity] = Tracked(isViolation: isViolation, isReported: isReported, replied: !flow.isUnreplied,
                            generation: generation)
        guard isReported else { return nil }
        if isViolation { summary.resyncFound += 1 }
        return record(.resync, flow, isViolation, nowNanoseconds)
    }

    /// Ends a resync: flows remembered but absent from the dump ended while
    /// their DESTROY events were lost; forget them.
    public mutating func finishResync() {
        let before = alive.count
        alive = alive.filter { $0.value.generation == generation }
        summary.endedUnseen += before - alive.count
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
    }

    public mutating func noteReported() { summary.reported += 1 }

    // MARK: - Internals

    private func classify(_ flow: Flow) -> (isViolation: Bool, isReported: Bool) {
        switch policy.classify(flow) {
        case .violation: (true, true)
        case .allowed(let remapped), .nodeLocal(let remapped): (false, reportsAllRemaps && remapped)
        case .notSourceNATed, .outOfScope, .withoutPorts: (false, false)
        }
    }

    private mutating func firstSighting(_ flow: Flow, isViolation: Bool) {
        switch policy.classify(flow) {
        case .notSourceNATed, .outOfScope:
            return
        case .nodeLocal:
            summary.nodeLocal += 1
        case .withoutPorts:
            summary.snat += 1
            summary.withoutPorts += 1
        case .allowed(let remapped):
            summary.snat += 1
            if remapped { summary.remapped += 1 }
        case .violation(let remapped):
            summary.snat += 1
            summary.violations += 1
            if remapped { summary.remapped += 1 } else { summary.violationsKeptPort += 1 }
            if !flow.isUnreplied { summary.violationsReplied += 1 }
        }
    }

    private func record(_ event: WatchRecord.Event, _ flow: Flow, _ isViolation: Bool, _ now: UInt64) -> WatchRecord {
        var age: UInt64?
        if let start = flow.startedAtNanoseconds, now >= start { age = (now - start) / 1_000_000_000 }
        var flow = flow
        // A destroyed entry has no time left; "expires 0s" would only confuse.
        if event == .destroy { flow.timeout = nil }
        return WatchRecord(event: event, violation: Violation(flow: flow, ageSeconds: age),
                           isViolation: isViolation, timeNanoseconds: now)
    }
}
