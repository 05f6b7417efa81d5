public import Policy

/// Facts about a finished watch that the summary prints besides the counts.
public struct WatchContext: Hashable, Sendable {
    public enum StopReason: String, Hashable, Sendable {
        /// --duration elapsed.
        case duration
        /// --count records were written.
        case count
        /// SIGINT or SIGTERM.
        case signal
    }

    public var host: String
    public var netns: String?
    public var allowed: PortRangeSet
    public var startedAtNanoseconds: UInt64
    public var endedAtNanoseconds: UInt64
    public var durationNanoseconds: UInt64
    /// The receive buffer the kernel granted (bytes, as SO_RCVBUF reads it).
    public var receiveBufferBytes: Int
    /// SO_RCVBUFFORCE was allowed (else SO_RCVBUF, capped by net.core.rmem_max).
    public var receiveBufferForced: Bool
    public var stopReason: StopReason
    /// BPF NAT maps found on the node (Cilium, Calico eBPF), or why the bpffs
    /// could not be searched: translations that send no conntrack events, so
    /// the watch's counts leave them out and its summary says so.
    public var unwatched: [String]
    /// The fixes for what the watch saw (`NodeRemedies(watch:)`), and what
    /// the node's NAT rules are written with when they were read.
    public var remedies: [Remedy] = []
    public var natRuleTools: String?

    public init(
        host: String, netns: String?, allowed: PortRangeSet, startedAtNanoseconds: UInt64,
        endedAtNanoseconds: UInt64, durationNanoseconds: UInt64, receiveBufferBytes: Int,
        receiveBufferForced: Bool, stopReason: StopReason, unwatched: [String] = []
    ) {
        self.host = host
        self.netns = netns
        self.allowed = allowed
        self.startedAtNanoseconds = startedAtNanoseconds
        self.endedAtNanoseconds = endedAtNanoseconds
        self.durationNanoseconds = durationNanoseconds
        self.receiveBufferBytes = receiveBufferBytes
        self.receiveBufferForced = receiveBufferForced
        self.stopReason = stopReason
        self.unwatched = unwatched
    }
}
