/// One conntrack entry, decoded. A plain value with no heap storage, so the
/// dump can decode every entry and keep only the few that matter.
public struct Flow: Hashable, Sendable {
    /// CTA_ID: stable for the entry's lifetime; used to drop duplicates that a
    /// non-atomic dump can return.
    public var id: UInt32?
    public var family: IPAddress.Family
    /// Pod (or host) to server, as the packet first appeared.
    public var original: Tuple
    /// Server back to the address the packet left with (after NAT).
    public var reply: Tuple
    public var status: FlowStatus
    public var protocolState: ProtocolState?
    /// Seconds until the entry expires (CTA_TIMEOUT).
    public var timeout: UInt32?
    public var mark: UInt32
    /// CTA_ZONE: the zone of both directions (0: the default zone).
    public var zone: UInt16
    /// Directional zones (`-j CT --zone-orig N` / `--zone-reply N`): the
    /// CTA_TUPLE_ZONE inside each tuple, which the kernel sends instead of
    /// CTA_ZONE when a zone applies to one direction only. Nil when none.
    public var originalZone: UInt16?
    public var replyZone: UInt16?
    /// Start time in nanoseconds since the epoch, when nf_conntrack_timestamp is on.
    public var startedAtNanoseconds: UInt64?

    public init(
        id: UInt32? = nil, family: IPAddress.Family, original: Tuple, reply: Tuple,
        status: FlowStatus = [], protocolState: ProtocolState? = nil, timeout: UInt32? = nil,
        mark: UInt32 = 0, zone: UInt16 = 0, startedAtNanoseconds: UInt64? = nil
    ) {
        self.id = id
        self.family = family
        self.original = original
        self.reply = reply
        self.status = status
        self.protocolState = protocolState
        self.timeout = timeout
        self.mark = mark
        self.zone = zone
        self.startedAtNanoseconds = startedAtNanoseconds
    }

    public var proto: IPProtocol { original.proto }

    /// Source NAT really changed this flow (`IPS_SRC_NAT`), not merely passed the NAT hook.
    public var isSourceNATed: Bool { status.contains(.sourceNAT) }

    /// The address the flow left the node with: the reply tuple's destination.
    public var translatedSource: IPAddress { reply.destination }

    /// The source port the flow left the node with: the reply tuple's destination port.
    public var translatedSourcePort: UInt16 { reply.destinationPort }

    /// NAT chose another source port than the pod's own.
    public var isPortRemapped: Bool {
        proto.carriesPorts && original.sourcePort != reply.destinationPort
    }

    /// No packet was ever seen in the reply direction (`[UNREPLIED]`).
    public var isUnreplied: Bool { !status.contains(.seenReply) }

    public var isAssured: Bool { status.contains(.assured) }
}
