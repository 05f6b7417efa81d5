public import Conntrack
public import Policy

/// What `stats` read from one namespace: conntrack's own counters, the
/// table's fill level, and NAT port pressure.
public struct StatsReport: Sendable {
    public var host: String
    /// The namespace that was read, as the user named it; nil for the caller's own.
    public var netns: String?
    /// RFC 3339 UTC time the statistics were read.
    public var generatedAt: String
    public var policy: AuditPolicy
    /// One element per possible CPU, in CPU order.
    public var cpus: [CPUStatistics]
    /// `cpus` added up.
    public var total: CPUStatistics
    public var tableSize: TableSize
    /// Every group with an in-scope source-NATed flow, most pressed first.
    public var pressures: [PortPressure]
    /// Entries read by the dump behind `pressures`.
    public var flowsRead: Int
    /// In-scope source-NATed flows among them.
    public var snat: Int
    public var dump: DumpResult

    public init(
        host: String, netns: String?, generatedAt: String, policy: AuditPolicy, cpus: [CPUStatistics],
        tableSize: TableSize, pressures: [PortPressure], flowsRead: Int, snat: Int, dump: DumpResult
    ) {
        self.host = host
        self.netns = netns
        self.generatedAt = generatedAt
        self.policy = policy
        self.cpus = cpus
        self.total = CPUStatistics.sum(cpus)
        self.tableSize = tableSize
        self.pressures = pressures
        self.flowsRead = flowsRead
        self.snat = snat
        self.dump = dump
    }

    /// Table fill level in parts per million of nf_conntrack_max, when known.
    public var tableFillPPM: Int? {
        guard let maximum = tableSize.maximum, maximum > 0 else { return nil }
        return Int(UInt64(tableSize.entries) * 1_000_000 / UInt64(maximum))
    }
}
