/// What to ask the kernel for in a dump.
public struct DumpRequest: Hashable, Sendable {
    /// Ask the kernel to return only entries with all of these status bits
    /// (CTA_STATUS/CTA_STATUS_MASK, Linux 5.15+). Empty: the whole table.
    /// On a kernel that ignores or refuses the filter the dump falls back to
    /// the whole table; callers must still check each flow's status.
    public var requiredStatus: FlowStatus

    public init(requiredStatus: FlowStatus = []) {
        self.requiredStatus = requiredStatus
    }

    /// Only flows whose source NAT changed the tuple.
    public static let sourceNATed = DumpRequest(requiredStatus: .sourceNAT)
    public static let everything = DumpRequest()
}
