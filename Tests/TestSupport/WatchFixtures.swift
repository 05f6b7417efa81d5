import Conntrack
import Engines
import Foundation
import NodeState
import Policy
import Reports

/// Shared fixtures (moved out of WatchWriterTests so that other suites need not reach into it).
package enum WatchFixtures {
    package static let time: UInt64 = 1_764_045_012_345_000_000  // 2025-11-25T04:30:12.345Z

    package static let context = WatchContext(
        host: "node1", netns: "cni-1", allowed: .defaultAllowed, startedAtNanoseconds: time,
        endedAtNanoseconds: time + 2_000_000_000, durationNanoseconds: 2_000_000_000,
        receiveBufferBytes: 16_777_216, receiveBufferForced: true, stopReason: .signal)

    package static let policy = AuditPolicy(podNetworks: [try! IPNetwork(parsing: "10.244.0.0/16")])

    package static func violation(id: UInt32, sport: UInt16 = 40000, replied: Bool = false) -> Flow {
        FlowFactory.flow(
            id: id, sport: sport, translatedPort: 1500,
            status: replied ? [.sourceNAT, .confirmed, .seenReply] : [.sourceNAT, .confirmed])
    }

    package static func feed(_ tracker: inout WatchTracker, _ kind: ConntrackEvent.Kind, _ flow: Flow) -> WatchRecord? {
        tracker.handle(ConntrackEvent(kind: kind, flow: flow), nowNanoseconds: 1)
    }
}
