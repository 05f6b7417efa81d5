public import Conntrack
public import NodeState

/// One read of the node's tables for `who`: every flow whose translated
/// source is one of the endpoints asked about, indexed by that endpoint, so
/// that many questions (the lines of a log, the packets of a capture) are
/// answered from the same snapshot. Only matching flows are kept, and at
/// most `WhoSearch.maximumFlows` of them.
public struct WhoSnapshot: Sendable {
    public var flows: [Endpoint: [WhoFlow]] = [:]
    public var dump = DumpResult()
    public var dataplanes = DataplaneSurvey()
    /// Matching flows not kept because the bound was reached.
    public var flowsNotKept = 0
    /// What pod attribution could not read.
    public var warnings: [KubernetesWarning] = []
    /// Entries the dump delivered (all of them, matching or not).
    public var entriesRead = 0

    public init() {}

    /// The flows that answer `query`, oldest first where ages are known.
    public func answer(_ query: WhoQuery) -> [WhoFlow] {
        (flows[query.endpoint] ?? []).filter { query.matches($0.flow) }
    }

    public var flowCount: Int { flows.values.reduce(0) { $0 + $1.count } }
}
