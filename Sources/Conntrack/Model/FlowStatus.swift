/// Conntrack status bits (`enum ip_conntrack_status` in
/// include/uapi/linux/netfilter/nf_conntrack_common.h).
public struct FlowStatus: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let expected = FlowStatus(rawValue: 1 << 0)
    /// Unset means conntrack(8)'s `[UNREPLIED]`.
    public static let seenReply = FlowStatus(rawValue: 1 << 1)
    public static let assured = FlowStatus(rawValue: 1 << 2)
    public static let confirmed = FlowStatus(rawValue: 1 << 3)
    /// Set only when source NAT really changed the tuple (address or port).
    public static let sourceNAT = FlowStatus(rawValue: 1 << 4)
    public static let destinationNAT = FlowStatus(rawValue: 1 << 5)
    public static let sequenceAdjust = FlowStatus(rawValue: 1 << 6)
    /// Set on every flow that passed the NAT hook, changed or not: never
    /// read it as "was NATed".
    public static let sourceNATDone = FlowStatus(rawValue: 1 << 7)
    public static let destinationNATDone = FlowStatus(rawValue: 1 << 8)
    public static let dying = FlowStatus(rawValue: 1 << 9)
    public static let fixedTimeout = FlowStatus(rawValue: 1 << 10)
    public static let template = FlowStatus(rawValue: 1 << 11)
    public static let helper = FlowStatus(rawValue: 1 << 13)
    public static let offload = FlowStatus(rawValue: 1 << 14)
    public static let hardwareOffload = FlowStatus(rawValue: 1 << 15)
}
