public import Conntrack
public import NodeState
public import Policy

/// One source-NATed pod flow whose translated source port the upstream
/// firewall does not allow, with the evidence from its conntrack entry.
/// Reports keep violations packed (`ViolationList`); this is the full value
/// a writer reads.
public struct Violation: Hashable, Sendable {
    public var flow: Flow
    /// Age in seconds, when the kernel records start timestamps.
    public var ageSeconds: UInt64?
    /// Which table recorded the translation.
    public var dataplane: Dataplane
    /// The pod behind the flow's source, when attribution ran (docs/KUBERNETES.md).
    public var pod: PodIdentity?
    /// The `--firewall` rule that decided the flow's replies, decided once
    /// while auditing (writers print it, never ask the firewall again).
    public var firewallDecision: FirewallDecision?

    public init(flow: Flow, ageSeconds: UInt64? = nil, dataplane: Dataplane = .conntrack) {
        self.flow = flow
        self.ageSeconds = ageSeconds
        self.dataplane = dataplane
    }

    public var podSource: IPAddress { flow.original.source }
    public var translatedPort: UInt16 { flow.translatedSourcePort }
    public var isRemapped: Bool { flow.isPortRemapped }
    public var isUnreplied: Bool { flow.isUnreplied }

    /// Worst first: unreplied (failing now) before replied, then by pod,
    /// destination and port so the order is stable.
    public static func worstFirst(_ a: Violation, _ b: Violation) -> Bool {
        WorstFirstKey(a).isWorse(than: WorstFirstKey(b))
    }
}
