public import Conntrack
import NodeState
public import Policy

/// Reads `stats` from a live namespace: per-CPU counters, table size, and a
/// full dump for NAT port pressure. Read-only.
public struct StatsCollector: Sendable {
    public var policy: AuditPolicy

    public init(policy: AuditPolicy) {
        self.policy = policy
    }

    public func run(namespace: NetworkNamespace?) throws -> StatsReport {
        let socket = try ConntrackSocket(namespace: namespace)
        let now = SystemClock.wallNanoseconds()
        // Counters and count first: they are what `conntrack -S`/`-C` show now;
        // the dump that follows takes longer on a big table.
        let cpus = try socket.cpuStatistics()
        let size = try socket.tableSize()
        var pressure = PortPressureAccumulator(policy: policy)
        // The whole table, not only IPS_SRC_NAT entries: the node's own
        // connections from a translated address hold ports in the same space.
        let dump = try socket.dump(.everything) { flow in pressure.add(flow) }
        return StatsReport(
            host: SystemClock.hostName(), netns: namespace?.name, generatedAt: SystemClock.rfc3339(now, milliseconds: false),
            policy: policy,
            cpus: cpus, tableSize: size, pressures: pressure.pressures(), flowsRead: pressure.flowsRead,
            snat: pressure.snat, dump: dump)
    }
}
