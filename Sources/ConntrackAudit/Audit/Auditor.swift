public import Conntrack

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs an audit against a live conntrack table.
public struct Auditor: Sendable {
    public var policy: AuditPolicy
    /// Ask the kernel to return only source-NATed entries (Linux 5.15+).
    public var kernelFilter: Bool
    /// List node-local flows in the report (`--all`), not only count them.
    public var listsNodeLocal: Bool

    public init(policy: AuditPolicy, kernelFilter: Bool = true, listsNodeLocal: Bool = false) {
        self.policy = policy
        self.kernelFilter = kernelFilter
        self.listsNodeLocal = listsNodeLocal
    }

    /// Dumps the table of `namespace` (nil: this process's own) and audits every entry.
    public func run(namespace: NetworkNamespace?) throws -> AuditReport {
        let started = WallClock.monotonicSeconds()
        let socket = try ConntrackSocket(namespace: namespace)
        let clock = WallClock.now()
        // The node's own addresses: a peer there never crosses the firewall.
        var policy = policy
        policy.localAddresses.formUnion(NamespaceAddresses.read(namespace))
        var accumulator = AuditAccumulator(policy: policy, nowNanoseconds: clock.nanoseconds)
        accumulator.keepsNodeLocal = listsNodeLocal
        // The count is read first: with the kernel filter on, the dump alone
        // cannot say how big the table is.
        let size = try? socket.tableSize()
        let dump = try socket.dump(kernelFilter ? .sourceNATed : .everything) { flow in
            accumulator.add(flow)
        }
        if dump.kernelFiltered, let size {
            accumulator.setTableEntries(Int(size.entries))
        }
        accumulator.finish()
        let violations = accumulator.takeSortedViolations()
        var report = AuditReport(
            host: WallClock.hostName(), netns: namespace?.name, generatedAt: clock.rfc3339,
            policy: policy, summary: accumulator.summary, violations: violations,
            dump: dump, tableSize: size, translatedPorts: accumulator.translatedPorts,
            durationSeconds: WallClock.monotonicSeconds() - started
        )
        report.nodeLocalFlows = accumulator.takeNodeLocalFlows()
        report.listsNodeLocal = listsNodeLocal
        return report
    }
}
