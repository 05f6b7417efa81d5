/// What the upstream firewall does with one flow's replies, and the rule
/// (or default) that decided it.
public struct FirewallDecision: Hashable, Sendable, CustomStringConvertible {
    public var accepts: Bool
    /// `rule "Allow responses" (input #3): tcp ack, dst 32768-65535 (accept)`,
    /// `no rule matches: discarded`.
    public var decidedBy: String
    /// The file whose rule decided.
    public var origin: String?
    /// Which reply packet was dropped when only some are (`tcp syn-ack`).
    public var packet: String?

    public init(accepts: Bool, decidedBy: String, origin: String? = nil, packet: String? = nil) {
        self.accepts = accepts
        self.decidedBy = decidedBy
        self.origin = origin
        self.packet = packet
    }

    public var description: String {
        var text = (accepts ? "accepted by " : "dropped by ") + decidedBy
        if let packet, !accepts { text += " [\(packet) reply]" }
        return text
    }
}
