/// One conntrack event from the kernel's multicast groups: an entry was
/// created, changed, or destroyed, with the entry as the kernel saw it then.
public struct ConntrackEvent: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// NFNLGRP_CONNTRACK_NEW: the entry was confirmed (after NAT, so the
        /// reply tuple already carries the translated port).
        case new
        /// NFNLGRP_CONNTRACK_UPDATE: status or protocol state changed, e.g. the
        /// first reply (`IPS_SEEN_REPLY`) or `[ASSURED]`.
        case update
        /// NFNLGRP_CONNTRACK_DESTROY: the entry is gone. Its status still says
        /// whether it ever saw a reply.
        case destroy
    }

    public var kind: Kind
    public var flow: Flow

    public init(kind: Kind, flow: Flow) {
        self.kind = kind
        self.flow = flow
    }

    // nlmsg_flags the kernel sets on NEW events (ctnetlink_conntrack_event).
    private static let createFlags: UInt16 = 0x400 | 0x200  // NLM_F_CREATE | NLM_F_EXCL

    /// Decodes one netlink message received on an event socket. Returns nil
    /// for messages that are not conntrack entry events (expectations,
    /// NLMSG_NOOP, ...); throws for a conntrack event that does not decode.
    ///
    /// The kernel sends NEW and UPDATE both as IPCTNL_MSG_CT_NEW; only NEW
    /// carries NLM_F_CREATE|NLM_F_EXCL. DESTROY is IPCTNL_MSG_CT_DELETE.
    public static func decode(
        messageType: UInt16, flags: UInt16, payload: UnsafeRawBufferPointer
    ) throws(DecodeError) -> ConntrackEvent? {
        guard messageType >> 8 == ConntrackMessageType.subsystem else { return nil }
        let kind: Kind
        switch messageType & 0xff {
        case ConntrackMessageType.new:
            kind = flags & createFlags == createFlags ? .new : .update
        case ConntrackMessageType.delete:
            kind = .destroy
        default:
            return nil
        }
        return ConntrackEvent(kind: kind, flow: try FlowDecoder.decode(payload))
    }

    /// Decodes a whole datagram (one or more netlink messages, headers
    /// included), as captured from an event socket. For tests and tools.
    public static func decodeDatagram(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> [ConntrackEvent] {
        var events: [ConntrackEvent] = []
        var messages = NetlinkMessageCursor(bytes)
        while let message = try messages.next() {
            if let event = try decode(messageType: message.type, flags: message.flags, payload: message.payload) {
                events.append(event)
            }
        }
        return events
    }
}
