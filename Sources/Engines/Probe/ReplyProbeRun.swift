public import Conntrack
import NodeState
public import Policy

/// One `ctaudit probe`: what to measure, run against the real network with
/// a `ReplyProbeSocket` (the only place that socket is made), paced.
public struct ReplyProbeRun: Sendable {
    public var target: IPAddress
    public var targetPort: UInt16
    public var transport: ReplyProbeSocket.Transport
    /// The UDP datagram; nil sends a DNS query (port 53) or nothing (TCP).
    public var payload: [UInt8]?
    public var timeoutMilliseconds: Int32
    /// At most this many probes a second (start to start).
    public var rate: Double
    public var range: PortRange
    public var maxProbes: Int
    public var seed: UInt64
    public var namespace: NetworkNamespace?

    public init(
        target: IPAddress, targetPort: UInt16, transport: ReplyProbeSocket.Transport, payload: [UInt8]?,
        timeoutMilliseconds: Int32, rate: Double, range: PortRange, maxProbes: Int, seed: UInt64,
        namespace: NetworkNamespace?
    ) {
        self.target = target
        self.targetPort = targetPort
        self.transport = transport
        self.payload = payload
        self.timeoutMilliseconds = timeoutMilliseconds
        self.rate = rate
        self.range = range
        self.maxProbes = maxProbes
        self.seed = seed
        self.namespace = namespace
    }

    /// The datagram a UDP probe sends: the caller's payload, else a DNS query to port 53.
    var datagram: [UInt8] {
        guard transport == .udp else { return [] }
        if let payload { return payload }
        return targetPort == 53 ? ProbePayload.dnsQuery(id: UInt16(truncatingIfNeeded: seed | 1)) : []
    }

    /// Probes until the bands are found or `maxProbes` were sent. `label` is
    /// the target as the user wrote it, for the report.
    public func run(label: String) throws -> ProbeResult {
        if let namespace { try namespace.withEntered {} }  // a missing namespace fails before any probe
        let socket = ReplyProbeSocket(
            namespace: namespace, target: target, targetPort: targetPort, transport: transport,
            payload: datagram, timeoutMilliseconds: timeoutMilliseconds)
        var search = ReplyPortSearch(
            range: range, maxProbes: maxProbes,
            prober: PacedProber(inner: socket, spacingNanoseconds: UInt64(1e9 / rate)), seed: seed)
        search.clock = { Int(SystemClock.monotonicNanoseconds() / 1_000_000) }
        return try search.run(target: label, proto: transport.rawValue, netns: namespace?.name)
    }
}

/// Spaces probes at least `spacingNanoseconds` apart (start to start).
struct PacedProber<Inner: ReplyProber>: ReplyProber {
    var inner: Inner
    var spacingNanoseconds: UInt64
    var lastStart: UInt64?

    mutating func probe(localPort: UInt16) throws -> ReplyProbeOutcome {
        if let lastStart {
            let elapsed = SystemClock.monotonicNanoseconds() - lastStart
            if elapsed < spacingNanoseconds { SystemCall.sleep(nanoseconds: spacingNanoseconds - elapsed) }
        }
        lastStart = SystemClock.monotonicNanoseconds()
        return try inner.probe(localPort: localPort)
    }
}
