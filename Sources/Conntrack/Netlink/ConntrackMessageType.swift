import CConntrack

/// nlmsg_type of ctnetlink messages: the nfnetlink subsystem in the high
/// byte, the message in the low byte.
enum ConntrackMessageType {
    static let subsystem = UInt16(NFNL_SUBSYS_CTNETLINK)
    static let new = UInt16(IPCTNL_MSG_CT_NEW.rawValue)
    static let delete = UInt16(IPCTNL_MSG_CT_DELETE.rawValue)
}
