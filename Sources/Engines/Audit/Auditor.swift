public import Conntrack
import Glibc
public import NodeState
public import Policy

/// Runs an audit against a live conntrack table.
public struct Auditor: Sendable {
    public var policy: AuditPolicy
    /// Ask the kernel to return only source-NATed entries (Linux 5.15+).
    public var kernelFilter: Bool
    /// List node-local flows in the report (`--node-local`), not only count them.
    public var listsNodeLocal: Bool
    /// Also read the BPF NAT maps of Cilium and Calico under this bpffs
    /// directory; nil: conntrack only.
    public var bpffs: String?
    /// Read BPF maps in batches where the kernel can (else key by key).
    public var bpfBatchLookup: Bool
    /// Which violations the report keeps whole (`ViolationList.Retention`).
    public var retention: ViolationList.Retention
    /// Look for flows translated onto this NodePort range or onto the
    /// namespace's listening sockets (`PortOverlap`); nil: not looked for.
    public var nodePortRange: ServiceNodePortRange?

    public init(
        policy: AuditPolicy, kernelFilter: Bool = true, listsNodeLocal: Bool = false,
        bpffs: String? = nil, bpfBatchLookup: Bool = true, retention: ViolationList.Retention = .all
    ) {
        self.retention = retention
        self.policy = policy
        self.kernelFilter = kernelFilter
        self.listsNodeLocal = listsNodeLocal
        self.bpffs = bpffs
        self.bpfBatchLookup = bpfBatchLookup
    }

    /// Dumps the table of `namespace` (nil: this process's own) and audits every entry.
    public func run(namespace: NetworkNamespace?) throws -> AuditReport {
        let started = SystemClock.monotonicNanoseconds()
        let socket = try ConntrackSocket(namespace: namespace)
        let now = SystemClock.wallNanoseconds()
        // The node's own addresses: a peer there never crosses the firewall.
        var policy = policy
        policy.localAddresses.formUnion(NamespaceAddresses.read(namespace))
        var accumulator = AuditAccumulator(policy: policy, nowNanoseconds: now, retention: retention)
        accumulator.keepsNodeLocal = listsNodeLocal
        let overlap = nodePortRange.map { PortOverlap.reading(nodePortRange: $0, namespace: namespace) }
        if let overlap {
            accumulator.portOverlap = FlowOverlapTally(nodePortRange: overlap.nodePortRange.range, listeners: overlap.listeners ?? [])
        }
        // The count is read first: with the kernel filter on, the dump alone
        // cannot say how big the table is.
        let size = try? socket.tableSize()
        let dump = try socket.dump(kernelFilter ? .sourceNATed : .everything) { flow in
            accumulator.add(flow)
        }
        if dump.kernelFiltered, let size {
            accumulator.setTableEntries(Int(size.entries))
        }
        // BPF dataplanes translate where conntrack never sees it: their maps
        // are read into the same accumulator, after the table.
        let survey = bpffs.map { BPFDataplaneReader(bpffs: $0, batchLookup: bpfBatchLookup).read(into: &accumulator) } ?? DataplaneSurvey()
        accumulator.finish()
        let violations = accumulator.takeSortedViolations()
        var report = AuditReport(
            host: SystemClock.hostName(), netns: namespace?.name, generatedAt: SystemClock.rfc3339(now, milliseconds: false),
            policy: policy, summary: accumulator.summary, violations: violations,
            dump: dump, tableSize: size, translatedPorts: accumulator.translatedPorts,
            durationSeconds: Double(SystemClock.monotonicNanoseconds() - started) / 1e9
        )
        report.nodeLocalFlows = accumulator.takeNodeLocalFlows()
        report.firewallDropTally = accumulator.firewallDrops
        report.firewallUncertainTally = accumulator.firewallUncertain
        report.uncertainFlows = accumulator.takeUncertainFlows()
        // The firewall's summaries are asked for the addresses the node's flows were translated to.
        report.policy.nodeAddresses = accumulator.translatedAddresses.sorted()
        report.listsNodeLocal = listsNodeLocal
        report.dataplanes = survey
        if var overlap {
            overlap.flows = accumulator.portOverlap
            report.portOverlap = overlap
        }
        return report
    }
}
