public import Conntrack
public import Policy

/// One line of `watch` output: a reported flow at one moment of its life.
public struct WatchRecord: Hashable, Sendable {
    public enum Event: String, Hashable, Sendable {
        /// The flow was created (conntrack NEW event).
        case new
        /// First seen through an UPDATE (it existed before the watch began, or
        /// its NEW event was lost), or it just got its first reply.
        case update
        /// The flow ended; `flow.isUnreplied` says whether it ever got a reply.
        case destroy
        /// Found in the table by the dump that follows lost events.
        case resync
        /// Already in the table when the watch started (the initial dump).
        case existing
    }

    public var event: Event
    /// The flow as of this event, with its age when the kernel timestamps flows.
    public var violation: Violation
    /// False only for `--remaps` records of remapped flows inside the allowed ranges.
    public var isViolation: Bool
    /// A firewall rule ctaudit cannot judge decides the flow's replies (`--firewall`).
    public var isUncertain = false
    /// With `--firewall`, for a violation or an uncertain flow: the rule that
    /// decides its replies, decided once by the tracker (writers only print it).
    public var firewallDecision: FirewallDecision?
    /// Wall clock when the event was read, nanoseconds since the epoch.
    public var timeNanoseconds: UInt64

    public init(event: Event, violation: Violation, isViolation: Bool, timeNanoseconds: UInt64) {
        self.event = event
        self.violation = violation
        self.isViolation = isViolation
        self.timeNanoseconds = timeNanoseconds
    }

    public var flow: Flow { violation.flow }

    /// A destroyed flow that never saw a reply: a connection that failed.
    public var isFailedConnection: Bool { event == .destroy && flow.isUnreplied }
}
