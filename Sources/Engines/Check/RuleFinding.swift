public import NodeState
public import Policy

/// What `check` found about one NAT rule.
public struct RuleFinding: Hashable, Sendable {
    public var rule: NATRule
    /// Protocols that reach the rule after earlier NAT rules with the same
    /// match took theirs (Calico's protocol-less fallback after its
    /// `-p tcp`/`-p udp --to-ports` rules only sees ICMP and the like).
    public var effectiveProtocols: ProtocolMatch
    /// False when `--pod-cidr` is set and the rule's source cannot be a pod.
    public var inScope: Bool
    /// One per port source (pods' ranges); empty when no TCP/UDP reaches the rule.
    public var predictions: [RemapPrediction]
    public var verdict: RuleVerdict
    /// Why, in one sentence.
    public var reason: String
    public var remedies: [Remedy]

    public init(
        rule: NATRule, effectiveProtocols: ProtocolMatch, inScope: Bool, predictions: [RemapPrediction],
        verdict: RuleVerdict, reason: String, remedies: [Remedy]
    ) {
        self.rule = rule
        self.effectiveProtocols = effectiveProtocols
        self.inScope = inScope
        self.predictions = predictions
        self.verdict = verdict
        self.reason = reason
        self.remedies = remedies
    }
}
