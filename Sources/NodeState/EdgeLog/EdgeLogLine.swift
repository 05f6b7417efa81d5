import Conntrack

/// One line of an edge capture or firewall log, as `who --from-log` reads
/// it: the packet it names, or why it names none.
public enum EdgeLogLine: Hashable, Sendable {
    /// A packet: protocol (nil when the line does not say), source and
    /// destination endpoints, TCP flags when the line shows them.
    case packet(EdgePacket)
    /// A line that names no packet with ports, and why (said per line, never fatal).
    case unparsed(reason: String)
}
