/// The conntrack table's occupancy in one namespace (IPCTNL_MSG_CT_GET_STATS).
public struct TableSize: Hashable, Sendable {
    /// Entries in the namespace's table now.
    public var entries: UInt32
    /// nf_conntrack_max (global to the host).
    public var maximum: UInt32?

    public init(entries: UInt32, maximum: UInt32?) {
        self.entries = entries
        self.maximum = maximum
    }
}
