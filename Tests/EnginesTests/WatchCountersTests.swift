import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy

@Suite("watch counters: each flow counted once across events, dumps and resyncs")
struct WatchCountersTests {
    static let tcp4 = WatchCounters.Key(family: .ipv4, proto: .tcp)

    static func dump(_ tracker: inout WatchTracker, _ reason: WatchTracker.DumpReason, _ flows: [Flow]) -> [WatchRecord] {
        tracker.beginDump(reason)
        let records = flows.compactMap { tracker.dumped($0, nowNanoseconds: 1) }
        tracker.finishDump()
        return records
    }

    static func count(_ tracker: WatchTracker, _ field: KeyPath<WatchCounters.PerKey, Int64>) -> Int64 {
        tracker.counters.byKey[tcp4]?[keyPath: field] ?? -1
    }

    @Test("a flow seen by events and again by a resync dump is counted once")
    func resyncDoesNotRecount() {
        var tracker = WatchTracker(policy: WatchFixtures.policy)
        _ = WatchFixtures.feed(&tracker, .new, WatchFixtures.violation(id: 7))
        #expect(Self.dump(&tracker, .resync, [WatchFixtures.violation(id: 7)]).isEmpty)
        #expect(Self.count(tracker, \.violating) == 1 && Self.count(tracker, \.snat) == 1)
        #expect(Self.count(tracker, \.current) == 1)
        #expect(tracker.counters.resyncs == 1)
    }

    @Test("two flows that share a CTA_ID but not a tuple are two flows")
    func idCollision() {
        var tracker = WatchTracker(policy: WatchFixtures.policy)
        _ = WatchFixtures.feed(&tracker, .new, WatchFixtures.violation(id: 9, sport: 40000))
        // Same id, another pod port: another entry (ids are 32-bit hashes and collide).
        #expect(
            Self.dump(&tracker, .resync, [WatchFixtures.violation(id: 9, sport: 40000), WatchFixtures.violation(id: 9, sport: 40001)]).count
                == 1)
        #expect(Self.count(tracker, \.violating) == 2 && tracker.trackedFlows == 2)
    }

    @Test("a flow a dump missed because it was ending is settled by its queued DESTROY, once")
    func tombstoneSettledByDestroy() {
        var tracker = WatchTracker(policy: WatchFixtures.policy)
        _ = WatchFixtures.feed(&tracker, .new, WatchFixtures.violation(id: 3))
        // Deleted while the dump ran: absent from it, its DESTROY still queued.
        _ = Self.dump(&tracker, .resync, [])
        #expect(Self.count(tracker, \.current) == 0 && Self.count(tracker, \.violatingUnreplied) == 0)
        #expect(WatchFixtures.feed(&tracker, .destroy, WatchFixtures.violation(id: 3)) != nil)
        tracker.settleEnded()
        #expect(Self.count(tracker, \.violating) == 1, "not counted again as a new flow")
        #expect(Self.count(tracker, \.violatingUnreplied) == 1, "unreplied counted once")
        #expect(tracker.summary.violationsFailed == 1)
    }

    @Test("a flow whose DESTROY was lost ends at the dump and counts as unreplied once the queue was read")
    func tombstoneSettledWithoutEvent() {
        var tracker = WatchTracker(policy: WatchFixtures.policy)
        _ = WatchFixtures.feed(&tracker, .new, WatchFixtures.violation(id: 4))
        _ = WatchFixtures.feed(&tracker, .new, WatchFixtures.violation(id: 5))
        _ = WatchFixtures.feed(&tracker, .update, WatchFixtures.violation(id: 5, replied: true))
        _ = Self.dump(&tracker, .resync, [])
        tracker.settleEnded()
        tracker.settleEnded()
        #expect(Self.count(tracker, \.violatingUnreplied) == 1, "only the one that never got a reply")
        // A late event for it is not a new flow either.
        _ = WatchFixtures.feed(&tracker, .destroy, WatchFixtures.violation(id: 4))
        #expect(Self.count(tracker, \.violating) == 2 && Self.count(tracker, \.violatingUnreplied) == 1)
    }

    @Test("flows older than the watch: counted from the initial dump, followed by dumps until they end")
    func initialDumpAndFollow() throws {
        var tracker = WatchTracker(policy: WatchFixtures.policy)
        let records = Self.dump(
            &tracker, .initial, [WatchFixtures.violation(id: 1), WatchFixtures.violation(id: 2, sport: 40001, replied: true)])
        #expect(records.map(\.event) == [.existing, .existing])
        // Only the unreplied one can still end unreplied: only it is followed.
        #expect(tracker.summary.existingViolations == 2 && tracker.followedViolations == 1)
        #expect(Self.count(tracker, \.violating) == 2 && Self.count(tracker, \.current) == 2)
        // Flow 2 sends an event after all (another listener gave it an event extension).
        _ = WatchFixtures.feed(&tracker, .update, WatchFixtures.violation(id: 2, sport: 40001, replied: true))
        #expect(tracker.followedViolations == 1)
        // Flow 1 gets a reply the dump sees, then ends: not unreplied.
        _ = Self.dump(
            &tracker, .follow, [WatchFixtures.violation(id: 1, replied: true), WatchFixtures.violation(id: 2, sport: 40001, replied: true)])
        _ = Self.dump(&tracker, .follow, [WatchFixtures.violation(id: 2, sport: 40001, replied: true)])
        tracker.settleEnded()
        #expect(tracker.followedViolations == 0)
        #expect(Self.count(tracker, \.violatingUnreplied) == 0 && Self.count(tracker, \.current) == 1)
        #expect(tracker.summary.followDumps == 2 && tracker.summary.resyncs == 0 && tracker.counters.resyncs == 0)
        #expect(Self.count(tracker, \.violating) == 2)
    }
}
