import NodeState
import Policy

/// Audit reports from many nodes combined into one view: which nodes are
/// affected, which destinations, and the worst pod flows across the fleet.
public struct MergedReport: Hashable, Sendable {
    public struct Node: Hashable, Sendable {
        public var host: String
        public var netns: String?
        public var generatedAt: String
        public var file: String
        public var allowed: String
        public var flows: Int
        public var snat: Int
        public var remapped: Int
        public var violations: Int
        public var unreplied: Int
        /// `host`, or `host/netns` for a report of one namespace.
        public var name: String { netns.map { "\(host)/\($0)" } ?? host }
        /// Merge's reading of the node (see `MergedVerdict`).
        public var verdict: MergedVerdict
        /// The report's own `verdict` word; nil in reports older than it.
        public var reportedVerdict: String?
        /// Source-NATed pod flows to a peer on the node; nil when the report is older than the count.
        public var nodeLocal: Int?
        /// Flows a `--firewall` rule the node's audit could not judge decides; nil when not judged by one.
        public var uncertain: Int?
        /// Dataplanes read and their counts; nil when the report is older than them.
        public var dataplanes: [DataplaneCounts]?
        /// BPF NAT maps the node found but could not read (`path: why`).
        public var unreadMaps: [String] = []
        /// The node's dataplane warnings, as its report printed them.
        public var warnings: [String] = []
        /// The kernel flagged the node's dump as interrupted: entries may be
        /// missing. Nil when the report does not say.
        public var dumpInterrupted: Bool?
        /// Source-NATed flows from outside the node's pod networks; nil when
        /// the report is older than the count.
        public var outside: OutsideFlows?
        /// Pods blocked entirely (whole port range outside the allowed ports,
        /// kept by a NAT rule); nil when the report is older than the count.
        public var podsBlocked: Int?
    }

    /// A node's `outside_pod_networks`: how many, from where, how many would violate.
    public struct OutsideFlows: Hashable, Sendable {
        public struct Source: Hashable, Sendable {
            public var network: String
            public var flows: Int
            public var wouldViolate: Int
        }

        public var flows: Int
        public var wouldViolate: Int
        /// Most flows first, as the node's report listed them.
        public var sources: [Source]
    }

    /// One dataplane's share of a node's (or, summed, the fleet's) counts.
    public struct DataplaneCounts: Hashable, Sendable {
        public var dataplane: String
        /// Nodes that read it (1 for a node's own).
        public var nodes = 1
        public var flows = 0
        public var snat = 0
        public var remapped = 0
        public var violations = 0
    }

    /// One service (address, port, protocol) that pods fail to reach.
    public struct Destination: Hashable, Sendable {
        public var address: String
        public var port: Int?
        public var proto: String
        public var violations = 0
        public var unreplied = 0
        /// Nodes and pods (host/pod address) with violations to it.
        public var nodes: Set<String> = []
        public var pods: Set<String> = []
    }

    /// One pod on one node to one destination service.
    public struct Offender: Hashable, Sendable {
        public var host: String
        public var pod: String
        /// `namespace/name` when the node's report named the pod.
        public var podName: String?
        public var address: String
        public var port: Int?
        public var proto: String
        public var violations = 0
        public var unreplied = 0
        public var translatedPorts: Set<Int> = []
    }

    /// Worst first: most violations, then worst verdict (a node not judged
    /// before a clean one), then host name.
    public var nodes: [Node] = []
    /// Worst first: most unreplied, then most violations.
    public var destinations: [Destination] = []
    public var offenders: [Offender] = []
    /// Older reports of a node that a newer one replaced.
    public var superseded: [String] = []
    /// The distinct allowed range sets the reports were audited against.
    public var allowedSets: [String] = []

    public var totalFlows: Int { nodes.reduce(0) { $0 + $1.flows } }
    public var totalSNAT: Int { nodes.reduce(0) { $0 + $1.snat } }
    public var totalRemapped: Int { nodes.reduce(0) { $0 + $1.remapped } }
    public var totalViolations: Int { nodes.reduce(0) { $0 + $1.violations } }
    public var totalUnreplied: Int { nodes.reduce(0) { $0 + $1.unreplied } }
    public var affectedNodes: Int { nodes.filter { $0.violations > 0 }.count }
    /// Over the reports that count them (older ones do not).
    public var totalNodeLocal: Int { nodes.reduce(0) { $0 + ($1.nodeLocal ?? 0) } }
    /// Over the reports that count them (older ones do not).
    public var totalOutside: Int { nodes.reduce(0) { $0 + ($1.outside?.flows ?? 0) } }
    public var totalOutsideWouldViolate: Int { nodes.reduce(0) { $0 + ($1.outside?.wouldViolate ?? 0) } }

    /// Whether merge fails (exit 1) when up to `tolerated` violating flows
    /// are forgiven (`--max-violations`), as `audit` decides for one node:
    /// flows are forgiven (pod violations and flows from outside the pod
    /// networks that would violate); a node with pods blocked is not.
    public func fails(toleratingViolations tolerated: Int) -> Bool {
        if nodes.contains(where: { $0.verdict == .podsBlocked || ($0.podsBlocked ?? 0) > 0 }) { return true }
        return totalViolations + totalOutsideWouldViolate > tolerated
    }

    /// The worst node's verdict: never cleaner than any node.
    public var verdict: MergedVerdict { MergedVerdict.worst(nodes.map(\.verdict)) }

    /// Each dataplane any node read, its counts summed over those nodes,
    /// in the order first seen (conntrack first when every node reads it).
    public var dataplaneTotals: [DataplaneCounts] {
        var totals: [DataplaneCounts] = []
        for node in nodes {
            for plane in node.dataplanes ?? [] {
                guard let index = totals.firstIndex(where: { $0.dataplane == plane.dataplane }) else {
                    totals.append(plane)
                    continue
                }
                totals[index].nodes += 1
                totals[index].flows += plane.flows
                totals[index].snat += plane.snat
                totals[index].remapped += plane.remapped
                totals[index].violations += plane.violations
            }
        }
        return totals
    }

    /// Nodes whose verdict is `verdict`, as `host` or `host/netns`.
    public func nodeNames(_ verdict: MergedVerdict) -> [String] {
        nodes.filter { $0.verdict == verdict }.map(\.name)
    }
}
