/// One CPU's conntrack counters in one namespace (IPCTNL_MSG_CT_GET_STATS_CPU),
/// as `conntrack -S` prints them. Counters only grow (the kernel keeps them
/// as 32-bit values that wrap); they are kept as UInt64 so sums cannot overflow.
public struct CPUStatistics: Hashable, Sendable {
    /// CPU number (nfgenmsg res_id); nil for a sum over CPUs.
    public var cpu: Int?
    /// Lookups that found an existing entry.
    public var found: UInt64 = 0
    /// Packets conntrack could not track (malformed, bad state): `invalid`.
    public var invalid: UInt64 = 0
    /// Entries inserted (0 on recent kernels, which no longer count it).
    public var insert: UInt64 = 0
    /// Inserts that failed because the tuple already existed: NAT/port clashes
    /// that could not be resolved.
    public var insertFailed: UInt64 = 0
    /// Packets dropped because an entry could not be made or inserted.
    public var drop: UInt64 = 0
    /// Entries evicted early because the table was full.
    public var earlyDrop: UInt64 = 0
    /// ICMP errors that did not match a known entry.
    public var error: UInt64 = 0
    /// Lookups restarted because a hash chain changed under them.
    public var searchRestart: UInt64 = 0
    /// Clashes (two packets racing to create the same entry) the kernel resolved.
    public var clashResolve: UInt64 = 0
    /// Inserts refused because a hash chain was too long.
    public var chainTooLong: UInt64 = 0

    public init(cpu: Int? = nil) {
        self.cpu = cpu
    }

    /// The counters as (conntrack -S name, value), in conntrack -S order.
    public var counters: [(name: String, value: UInt64)] {
        [
            ("found", found), ("invalid", invalid), ("insert", insert), ("insert_failed", insertFailed),
            ("drop", drop), ("early_drop", earlyDrop), ("error", error), ("search_restart", searchRestart),
            ("clash_resolve", clashResolve), ("chaintoolong", chainTooLong),
        ]
    }

    /// The counters of all `cpus` added up (cpu is nil).
    public static func sum(_ cpus: [CPUStatistics]) -> CPUStatistics {
        var total = CPUStatistics()
        for cpu in cpus {
            total.found += cpu.found
            total.invalid += cpu.invalid
            total.insert += cpu.insert
            total.insertFailed += cpu.insertFailed
            total.drop += cpu.drop
            total.earlyDrop += cpu.earlyDrop
            total.error += cpu.error
            total.searchRestart += cpu.searchRestart
            total.clashResolve += cpu.clashResolve
            total.chainTooLong += cpu.chainTooLong
        }
        return total
    }
}
