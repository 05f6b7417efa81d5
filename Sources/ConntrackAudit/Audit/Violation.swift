public import Conntrack

/// One source-NATed pod flow whose translated source port the upstream
/// firewall does not allow, with the evidence from its conntrack entry.
public struct Violation: Hashable, Sendable {
    public var flow: Flow
    /// Age in seconds, when the kernel records start timestamps.
    public var ageSeconds: UInt64?
    /// Which table recorded the translation.
    public var dataplane: Dataplane
    /// The pod behind the flow's source, when attribution ran (docs/KUBERNETES.md).
    public var pod: PodIdentity? {
        get { podBox?.identity }
        set { podBox = newValue.map(PodBox.init) }
    }
    /// Points this violation at `other`'s identity object instead of a copy.
    mutating func sharePod(with other: Violation) { podBox = other.podBox }

    /// Held by reference: every violation of a pod shares one identity, and
    /// a node can keep tens of thousands of violations (8 bytes each here
    /// instead of the identity's ~140 inline).
    private var podBox: PodBox?

    public init(flow: Flow, ageSeconds: UInt64? = nil, dataplane: Dataplane = .conntrack) {
        self.flow = flow
        self.ageSeconds = ageSeconds
        self.dataplane = dataplane
    }

    public static func == (a: Violation, b: Violation) -> Bool {
        a.flow == b.flow && a.ageSeconds == b.ageSeconds && a.pod == b.pod && a.dataplane == b.dataplane
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(flow)
        hasher.combine(ageSeconds)
        hasher.combine(pod)
        hasher.combine(dataplane)
    }

    public var podSource: IPAddress { flow.original.source }
    public var translatedPort: UInt16 { flow.translatedSourcePort }
    public var isRemapped: Bool { flow.isPortRemapped }
    public var isUnreplied: Bool { flow.isUnreplied }

    /// Worst first: unreplied (failing now) before replied, then by pod,
    /// destination and port so the order is stable.
    public static func worstFirst(_ a: Violation, _ b: Violation) -> Bool {
        if a.isUnreplied != b.isUnreplied { return a.isUnreplied }
        let ka = (a.flow.original.source, a.flow.original.destination)
        let kb = (b.flow.original.source, b.flow.original.destination)
        if ka != kb { return ka < kb }
        if a.flow.original.destinationPort != b.flow.original.destinationPort {
            return a.flow.original.destinationPort < b.flow.original.destinationPort
        }
        if a.flow.proto != b.flow.proto { return a.flow.proto < b.flow.proto }
        return a.flow.original.sourcePort < b.flow.original.sourcePort
    }
}

/// An immutable pod identity shared by the violations of one pod.
private final class PodBox: Sendable {
    let identity: PodIdentity
    init(_ identity: PodIdentity) { self.identity = identity }
}
