/// What the upstream firewall does with one flow's replies, and the rule
/// (or default) that decided it.
public struct FirewallDecision: Hashable, Sendable, CustomStringConvertible {
    public var outcome: ReplyOutcome
    /// `rule "Allow responses" (input #3): tcp ack, dst 32768-65535 (accept)`,
    /// `no rule matches: discarded`. For an uncertain outcome: the rule
    /// ctaudit cannot judge, and what it cannot judge in it.
    public var decidedBy: String
    /// The file whose rule decided.
    public var origin: String?
    /// Which reply packet was dropped (or left uncertain) when only some are (`tcp syn-ack`).
    public var packet: String?

    public init(outcome: ReplyOutcome, decidedBy: String, origin: String? = nil, packet: String? = nil) {
        self.outcome = outcome
        self.decidedBy = decidedBy
        self.origin = origin
        self.packet = packet
    }

    public init(accepts: Bool, decidedBy: String, origin: String? = nil, packet: String? = nil) {
        self.init(outcome: accepts ? .accepted : .dropped, decidedBy: decidedBy, origin: origin, packet: packet)
    }

    public var accepts: Bool { outcome == .accepted }
    public var isUncertain: Bool { outcome == .uncertain }

    public var description: String {
        var text: String =
            switch outcome {
            case .accepted: "accepted by "
            case .dropped: "dropped by "
            case .uncertain: "uncertain: "
            }
        text += decidedBy
        if let packet, !accepts { text += " [\(packet) reply]" }
        return text
    }
}
