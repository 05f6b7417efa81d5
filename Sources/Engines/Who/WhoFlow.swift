public import Conntrack
public import NodeState
public import Policy

/// One flow whose translated source is the asked endpoint, with what the
/// node knows of it: the pod behind it and where it stands against the policy.
public struct WhoFlow: Hashable, Sendable {
    public var flow: Flow
    /// Which table recorded the translation.
    public var dataplane: Dataplane
    /// Seconds since the entry was created, when the kernel records start timestamps.
    public var ageSeconds: UInt64?
    /// The pod behind the flow's original source; nil when pods are not looked up (--no-pods).
    public var pod: PodIdentity?
    public var verdict: WhoVerdict
    /// The firewall rule that decides the flow's replies (`--firewall` only).
    public var decision: FirewallDecision?

    public init(
        flow: Flow, dataplane: Dataplane, ageSeconds: UInt64? = nil, pod: PodIdentity? = nil,
        verdict: WhoVerdict, decision: FirewallDecision? = nil
    ) {
        self.flow = flow
        self.dataplane = dataplane
        self.ageSeconds = ageSeconds
        self.pod = pod
        self.verdict = verdict
        self.decision = decision
    }

    /// The flow violates the policy: the upstream firewall drops its replies.
    public var violates: Bool { verdict == .violation || verdict == .outsideWouldViolate }
}
