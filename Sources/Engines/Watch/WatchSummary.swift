/// Counts over one `watch` session. Flows are counted once each, from the
/// first event or dump that shows them (by identity: CTA_ID, original tuple
/// and zone) until they end. Flows already in the table at start count too.
public struct WatchSummary: Hashable, Sendable {
    /// Conntrack events received, of every kind and every flow.
    public var events = 0
    public var eventsNew = 0
    public var eventsUpdate = 0
    public var eventsDestroy = 0
    /// Distinct source-NATed pod flows (in the policy's scope) seen.
    public var snat = 0
    /// Of those, flows whose source port NAT changed.
    public var remapped = 0
    /// Source-NATed pod flows whose peer is on this node: never violations.
    public var nodeLocal = 0
    /// Of those, flows without ports (ICMP, GRE, ...): never violations.
    public var withoutPorts = 0
    /// Distinct flows whose translated source port is outside the allowed ranges.
    public var violations = 0
    /// Distinct flows a firewall rule ctaudit cannot judge decides (`--firewall`): never violations.
    public var uncertain = 0
    /// Violations that were seen getting a reply (IPS_SEEN_REPLY) at some point.
    public var violationsReplied = 0
    /// Violations destroyed without ever getting a reply: connections that failed.
    public var violationsFailed = 0
    /// Violations that kept the pod's own port (a pod port-range problem, not NAT).
    public var violationsKeptPort = 0
    /// The lowest translated port a violation had: what widening the
    /// firewall must reach down to (a pod's own port below 1024 included).
    public var lowestViolationPort: UInt16?
    /// Events the kernel dropped because the receive buffer was full.
    public var eventsLost: UInt64 = 0
    /// Whether `eventsLost` is the kernel's exact drop counter (else a lower
    /// bound: the number of ENOBUFS reports).
    public var eventsLostExact = true
    /// ENOBUFS reports from the kernel.
    public var overruns = 0
    /// Table dumps run to recover after lost events.
    public var resyncs = 0
    /// Violations first found by a resync dump (their events were lost).
    public var resyncFound = 0
    /// Tracked flows absent from a resync dump: they ended while events were lost.
    public var endedUnseen = 0
    /// Event messages that did not decode and were skipped.
    public var malformed = 0
    /// Violations already in the table when the watch started (initial dump).
    public var existingViolations = 0
    /// The dump at start (1 unless it failed).
    public var initialDumps = 0
    /// Dumps run to follow flows older than the watch that send no events
    /// (nf_conntrack_events=2 gives events only to entries created while a
    /// listener existed).
    public var followDumps = 0
    /// Records written (lines of output other than the summary).
    public var reported = 0

    public init() {}

    /// Violations that never got a reply, as far as the events showed: failed
    /// connections plus those still waiting when the watch ended.
    public var violationsUnreplied: Int { violations - violationsReplied }
}
