public import Conntrack

import Glibc

/// Runs an audit against a live conntrack table.
public struct Auditor: Sendable {
    public var policy: AuditPolicy
    /// Ask the kernel to return only source-NATed entries (Linux 5.15+).
    public var kernelFilter: Bool

    public init(policy: AuditPolicy, kernelFilter: Bool = true) {
        self.policy = policy
        self.kernelFilter = kernelFilter
    }

    /// Dumps the table of `namespace` (nil: this process's own) and audits every entry.
    public func run(namespace: NetworkNamespace?) throws -> AuditReport {
        let started = SystemClock.monotonicNanoseconds()
        let socket = try ConntrackSocket(namespace: namespace)
        let now = SystemClock.wallNanoseconds()
        var accumulator = AuditAccumulator(policy: policy, nowNanoseconds: now)
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
        return AuditReport(
            host: SystemClock.hostName(), netns: namespace?.name, generatedAt: SystemClock.rfc3339(now, milliseconds: false),
            policy: policy, summary: accumulator.summary, violations: violations,
            dump: dump, tableSize: size, translatedPorts: accumulator.translatedPorts,
            durationSeconds: Double(SystemClock.monotonicNanoseconds() - started) / 1e9
        )
    }
}
