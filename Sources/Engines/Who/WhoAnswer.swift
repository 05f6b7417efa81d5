public import NodeState

/// One question and its flows.
public struct WhoAnswer: Hashable, Sendable {
    /// The line number in the log (1-based); nil for other sources.
    public var line: Int?
    /// The line as read (cut to a bound), for a log.
    public var text: String?
    /// Why the line names no packet; nil when it does.
    public var unparsed: String?
    /// The packet a log line or capture shows; nil for an endpoint asked on the command line.
    public var packet: EdgePacket?
    /// The question answered (for a log line: the packet's side that matched,
    /// else its source); nil for an unparsed line.
    public var query: WhoQuery?
    /// For a log line: which side of the packet was the node's (`source`:
    /// the packet left the node; `destination`: it was on its way back).
    public var nodeSide: String?
    /// For a capture: the unanswered conversation.
    public var unanswered: CaptureConversations.Unanswered?
    public var flows: [WhoFlow]

    public init(
        line: Int? = nil, text: String? = nil, unparsed: String? = nil, packet: EdgePacket? = nil,
        query: WhoQuery? = nil, nodeSide: String? = nil, unanswered: CaptureConversations.Unanswered? = nil,
        flows: [WhoFlow] = []
    ) {
        self.line = line
        self.text = text
        self.unparsed = unparsed
        self.packet = packet
        self.query = query
        self.nodeSide = nodeSide
        self.unanswered = unanswered
        self.flows = flows
    }
}
