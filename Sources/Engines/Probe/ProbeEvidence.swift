public import Conntrack

/// One probe and what it saw, in the order they were sent.
public struct ProbeEvidence: Hashable, Sendable {
    public enum Phase: String, Hashable, Sendable {
        /// The first probe, in the middle of the range.
        case control
        /// The ends of the range.
        case edge
        /// Halving the gap between a port that came back and one that did not.
        case bisect
        /// A random port inside a band, checking it is what its ends say.
        case sample
    }

    public var localPort: UInt16
    public var phase: Phase
    public var outcome: ReplyProbeOutcome
    public var milliseconds: Int

    public init(localPort: UInt16, phase: Phase, outcome: ReplyProbeOutcome, milliseconds: Int) {
        self.localPort = localPort
        self.phase = phase
        self.outcome = outcome
        self.milliseconds = milliseconds
    }

    /// nil for ports that were in use or probes that failed: they say nothing about the firewall.
    public var cameBack: Bool? {
        switch outcome {
        case .replied: true
        case .noReply: false
        case .portInUse, .failed: nil
        }
    }
}
