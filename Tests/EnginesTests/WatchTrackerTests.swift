import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy

@Suite("watch: tracking flows through their events")
struct WatchTrackerTests {
    static let policy = AuditPolicy(podNetworks: [try! IPNetwork(parsing: "10.244.0.0/16")])

    static func violation(id: UInt32, replied: Bool = false) -> Flow {
        FlowFactory.flow(
            id: id, translatedPort: 1500,
            status: replied ? [.sourceNAT, .confirmed, .seenReply] : [.sourceNAT, .confirmed])
    }

    /// Swift Testing's macros cannot call mutating methods; these can.
    static func feed(_ tracker: inout WatchTracker, _ kind: ConntrackEvent.Kind, _ flow: Flow, _ now: UInt64) -> WatchRecord? {
        tracker.handle(ConntrackEvent(kind: kind, flow: flow), nowNanoseconds: now)
    }

    static func resync(_ tracker: inout WatchTracker, _ flow: Flow, _ now: UInt64) -> WatchRecord? {
        tracker.dumped(flow, nowNanoseconds: now)
    }

    static func allowedRemap(id: UInt32) -> Flow {
        FlowFactory.flow(id: id, sport: 1200, translatedPort: 40000)
    }

    @Test("a violation is printed when it appears and when it ends, and counted once")
    func newThenDestroy() throws {
        var tracker = WatchTracker(policy: Self.policy)
        let new = try #require(Self.feed(&tracker, .new, Self.violation(id: 1), 5))
        #expect(new.event == .new && new.isViolation && new.timeNanoseconds == 5)
        // A state change that is not a first reply says nothing new.
        #expect(Self.feed(&tracker, .update, Self.violation(id: 1), 6) == nil)
        let end = try #require(Self.feed(&tracker, .destroy, Self.violation(id: 1), 7))
        #expect(end.event == .destroy && end.isFailedConnection)
        #expect(end.flow.timeout == nil)
        let summary = tracker.summary
        #expect(summary.events == 3 && summary.eventsNew == 1 && summary.eventsUpdate == 1 && summary.eventsDestroy == 1)
        #expect(summary.snat == 1 && summary.remapped == 1 && summary.violations == 1)
        #expect(summary.violationsUnreplied == 1 && summary.violationsFailed == 1)
        #expect(tracker.trackedFlows == 0)
    }

    @Test("two flows that share a CTA_ID (a 32-bit hash) are two flows: both counted, followed and ended")
    func sharedIDs() throws {
        var tracker = WatchTracker(policy: Self.policy)
        let first = FlowFactory.flow(id: 9, sport: 40001, translatedPort: 1500)
        let second = FlowFactory.flow(id: 9, sport: 40002, translatedPort: 1600)
        #expect(Self.feed(&tracker, .new, first, 1) != nil)
        #expect(Self.feed(&tracker, .new, second, 2) != nil)
        #expect(tracker.summary.violations == 2 && tracker.trackedFlows == 2)
        // A resync dump that shows both again counts neither twice.
        tracker.beginDump(.resync)
        #expect(Self.resync(&tracker, first, 3) == nil)
        #expect(Self.resync(&tracker, second, 3) == nil)
        tracker.finishDump()
        #expect(tracker.summary.violations == 2 && tracker.summary.resyncFound == 0)
        // Ending one leaves the other alive.
        #expect(Self.feed(&tracker, .destroy, first, 4)?.event == .destroy)
        #expect(tracker.trackedFlows == 1)
        #expect(Self.feed(&tracker, .destroy, second, 5)?.event == .destroy)
        #expect(tracker.trackedFlows == 0 && tracker.summary.violationsFailed == 2)
    }

    @Test("the first reply of a violation is reported once; its end is not a failure")
    func reply() throws {
        var tracker = WatchTracker(policy: Self.policy)
        _ = Self.feed(&tracker, .new, Self.violation(id: 2), 1)
        let reply = try #require(Self.feed(&tracker, .update, Self.violation(id: 2, replied: true), 2))
        #expect(reply.event == .update && !reply.flow.isUnreplied)
        #expect(Self.feed(&tracker, .update, Self.violation(id: 2, replied: true), 3) == nil)
        let end = try #require(Self.feed(&tracker, .destroy, Self.violation(id: 2, replied: true), 4))
        #expect(!end.isFailedConnection)
        #expect(tracker.summary.violations == 1 && tracker.summary.violationsUnreplied == 0 && tracker.summary.violationsFailed == 0)
    }

    @Test("a flow older than the watch is reported at its first update and counted once")
    func firstSeenByUpdate() throws {
        var tracker = WatchTracker(policy: Self.policy)
        let first = try #require(Self.feed(&tracker, .update, Self.violation(id: 3), 1))
        #expect(first.event == .update)
        _ = Self.feed(&tracker, .destroy, Self.violation(id: 3), 2)
        #expect(tracker.summary.violations == 1)
    }

    @Test("allowed remaps, unNATed and out-of-scope flows are counted but only --remaps prints remaps")
    func scopeAndAll() {
        let outside = FlowFactory.flow(id: 9, pod: "192.168.1.5", translatedPort: 1500)
        let plain = FlowFactory.flow(id: 10, status: [.confirmed])
        for all in [false, true] {
            var tracker = WatchTracker(policy: Self.policy, reportsAllRemaps: all)
            let remap = Self.feed(&tracker, .new, Self.allowedRemap(id: 4), 1)
            #expect((remap != nil) == all)
            #expect(remap?.isViolation != true)
            #expect(Self.feed(&tracker, .new, outside, 1) == nil)
            #expect(Self.feed(&tracker, .new, plain, 1) == nil)
            #expect(tracker.summary.snat == 1 && tracker.summary.remapped == 1 && tracker.summary.violations == 0)
            #expect(tracker.summary.events == 3)
        }
    }

    @Test("a resync reports violations whose events were lost and forgets flows that ended unseen")
    func resync() throws {
        var tracker = WatchTracker(policy: Self.policy)
        _ = Self.feed(&tracker, .new, Self.violation(id: 10), 1)
        _ = Self.feed(&tracker, .new, Self.violation(id: 11), 1)
        tracker.beginDump(.resync)
        // 10 is still there (not reprinted), 11 vanished, 12 is new to us.
        #expect(Self.resync(&tracker, Self.violation(id: 10), 2) == nil)
        let found = try #require(Self.resync(&tracker, Self.violation(id: 12), 2))
        #expect(found.event == .resync && found.isViolation)
        tracker.finishDump()
        #expect(tracker.trackedFlows == 2)
        let summary = tracker.summary
        #expect(summary.resyncs == 1 && summary.resyncFound == 1 && summary.endedUnseen == 1 && summary.violations == 3)
        // A NEW event arriving after the dump for a flow it already showed is not repeated.
        #expect(Self.feed(&tracker, .new, Self.violation(id: 12), 3) == nil)
    }

    @Test("lost events: the kernel's counter when known, else the ENOBUFS reports as a lower bound")
    func lostCounts() {
        var tracker = WatchTracker(policy: Self.policy)
        tracker.noteSocket(eventsLost: 1234, overruns: 3, malformed: 0)
        #expect(tracker.summary.eventsLost == 1234 && tracker.summary.eventsLostExact)
        tracker.noteSocket(eventsLost: nil, overruns: 3, malformed: 1)
        #expect(tracker.summary.eventsLost == 3 && !tracker.summary.eventsLostExact && tracker.summary.malformed == 1)
        // ENOBUFS with no counted drop: events were lost all the same.
        tracker.noteSocket(eventsLost: 0, overruns: 2, malformed: 0)
        #expect(tracker.summary.eventsLost == 2 && !tracker.summary.eventsLostExact)
        tracker.noteSocket(eventsLost: 0, overruns: 0, malformed: 0)
        #expect(tracker.summary.eventsLost == 0 && tracker.summary.eventsLostExact)
    }
}
