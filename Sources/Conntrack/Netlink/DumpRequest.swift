/// What to ask the kernel for in a dump.
public struct DumpRequest: Hashable, Sendable {
    /// Ask the kernel to return only entries with all of these status bits
    /// (CTA_STATUS/CTA_STATUS_MASK, Linux 5.15+). Empty: the whole table.
    /// On a kernel that ignores or refuses the filter the dump falls back to
    /// the whole table; callers must still check each flow's status.
    public var requiredStatus: FlowStatus
    /// Ask the kernel for entries whose reply tuple goes to this address,
    /// protocol and port only (CTA_FILTER on CTA_TUPLE_REPLY, Linux 5.10+):
    /// `who`'s translated endpoint. A kernel that refuses it is asked again
    /// with the status filter alone; callers must still match each flow.
    public var replyDestination: ReplyDestination?

    /// One translated endpoint of one protocol.
    public struct ReplyDestination: Hashable, Sendable {
        public var endpoint: Endpoint
        public var proto: IPProtocol
        public init(endpoint: Endpoint, proto: IPProtocol) {
            self.endpoint = endpoint
            self.proto = proto
        }
    }

    public init(requiredStatus: FlowStatus = [], replyDestination: ReplyDestination? = nil) {
        self.requiredStatus = requiredStatus
        self.replyDestination = replyDestination
    }

    /// Only flows whose source NAT changed the tuple.
    public static let sourceNATed = DumpRequest(requiredStatus: .sourceNAT)
    public static let everything = DumpRequest()
}
