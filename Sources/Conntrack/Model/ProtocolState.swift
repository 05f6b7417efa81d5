/// The per-protocol connection state conntrack keeps (CTA_PROTOINFO).
public enum ProtocolState: Hashable, Sendable, CustomStringConvertible {
    case tcp(UInt8)
    case sctp(UInt8)
    case dccp(UInt8)

    // Index = kernel enum value; names as conntrack(8) prints them.
    private static let tcpNames = [
        "NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
        "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
    ]
    private static let sctpNames = [
        "NONE", "CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "ESTABLISHED", "SHUTDOWN_SENT",
        "SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT", "HEARTBEAT_SENT", "HEARTBEAT_ACKED",
    ]
    private static let dccpNames = [
        "NONE", "REQUEST", "RESPOND", "PARTOPEN", "OPEN", "CLOSEREQ", "CLOSING", "TIMEWAIT",
        "IGNORE", "INVALID",
    ]

    /// The state's name, e.g. `SYN_SENT`; unknown values print as `UNKNOWN(n)`.
    public var name: String {
        let (names, value): ([String], UInt8) =
            switch self {
            case .tcp(let v): (Self.tcpNames, v)
            case .sctp(let v): (Self.sctpNames, v)
            case .dccp(let v): (Self.dccpNames, v)
            }
        return Int(value) < names.count ? names[Int(value)] : "UNKNOWN(\(value))"
    }

    public var description: String { name }
}
