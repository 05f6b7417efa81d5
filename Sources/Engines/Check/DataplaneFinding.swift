import NodeState
public import Policy

/// `check`'s prediction for one BPF dataplane: the ports it can give, where
/// that range came from, the verdict against the allowed ranges, and the
/// configuration change that keeps its ports inside them.
public struct DataplaneFinding: Hashable, Sendable {
    public var dataplane: Dataplane
    /// How it was detected (pinned maps, a config file).
    public var detectedBy: [String]
    /// Ports the dataplane can translate to.
    public var ports: PortRange
    /// Where `ports` came from, or that it is the upstream default.
    public var portsFrom: String
    public var verdict: RuleVerdict
    /// The part of `ports` the upstream firewall drops.
    public var outside: PortRangeSet
    /// What the verdict means for this dataplane, in one sentence.
    public var explanation: String
    /// The change that clears the verdict, and the commands that make it.
    public var fix: String?
    public var fixCommands: [String]

    public init(
        dataplane: Dataplane, detectedBy: [String], ports: PortRange, portsFrom: String, verdict: RuleVerdict,
        outside: PortRangeSet, explanation: String, fix: String?, fixCommands: [String]
    ) {
        self.dataplane = dataplane
        self.detectedBy = detectedBy
        self.ports = ports
        self.portsFrom = portsFrom
        self.verdict = verdict
        self.outside = outside
        self.explanation = explanation
        self.fix = fix
        self.fixCommands = fixCommands
    }
}
