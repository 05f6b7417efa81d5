public import Conntrack

/// Sends one probe from a local port and says what came back. The system
/// one is `ReplyProbeSocket` (Conntrack); tests use a fake firewall.
public protocol ReplyProber {
    mutating func probe(localPort: UInt16) throws -> ReplyProbeOutcome
}

extension ReplyProbeSocket: ReplyProber {}
