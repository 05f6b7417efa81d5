public import Conntrack
public import Policy

/// Source-NATed flows from outside the pod networks whose replies cross the
/// upstream firewall: not audited as pod flows, but never hidden. A wrong or
/// missing `--pod-cidr` puts the real pods here, and their connections fail
/// all the same, so the report says how many there are, where they come
/// from, and how many the firewall would drop (`AuditVerdict`).
///
/// Not here: flows to an excluded destination (out of scope by choice) and
/// flows whose peer is on this node (no packet crosses the firewall); both
/// are only counted in `AuditSummary.outOfScope`.
public struct OutsidePodFlows: Hashable, Sendable {
    public var flows = 0
    /// Flows whose translated port the upstream firewall would drop replies to.
    public var wouldViolate = 0
    /// Of those, flows that never saw a reply.
    public var wouldViolateUnreplied = 0
    /// Where they come from, summarized (bounded in memory).
    public var sources = SourceNetworkSummary()
    /// The first few that would violate, whole: evidence a person can check.
    public private(set) var examples: [Violation] = []

    public static let exampleLimit = 5

    public init() {}

    /// Counts one flow, judged as `wouldBe`: the class it would have if its
    /// source were a pod (`AuditPolicy.classifyOutsidePodNetworks`).
    public mutating func add(_ flow: Flow, as wouldBe: FlowClass, ageSeconds: UInt64? = nil) {
        let violates: Bool
        switch wouldBe {
        case .violation: violates = true
        // Uncertain: counted as a flow from outside, not as one that would violate.
        case .allowed, .withoutPorts, .nodeLocal, .notSourceNATed, .outOfScope, .uncertain: violates = false
        }
        flows += 1
        sources.add(flow.original.source, wouldViolate: violates)
        guard violates else { return }
        wouldViolate += 1
        if flow.isUnreplied { wouldViolateUnreplied += 1 }
        if examples.count < Self.exampleLimit { examples.append(Violation(flow: flow, ageSeconds: ageSeconds)) }
    }
}
