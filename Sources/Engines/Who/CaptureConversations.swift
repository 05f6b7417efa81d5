public import Conntrack

/// The conversations of a capture taken upstream of a node, and which of
/// them were never answered: a TCP SYN with no SYN-ACK (nor RST) back, a
/// UDP (or other port-carrying) datagram with no datagram back on the
/// reverse 5-tuple. The one who sent first is the initiator. At most
/// `capacity` conversations are tracked; packets of further ones are counted
/// in `untracked`, so a capped answer says it is capped.
public struct CaptureConversations: Sendable {
    public struct Key: Hashable, Sendable {
        public var proto: IPProtocol
        public var initiator: Endpoint
        public var responder: Endpoint
        public init(proto: IPProtocol, initiator: Endpoint, responder: Endpoint) {
            self.proto = proto
            self.initiator = initiator
            self.responder = responder
        }
        var reversed: Key { Key(proto: proto, initiator: responder, responder: initiator) }
    }

    /// One conversation never answered in the capture.
    public struct Unanswered: Hashable, Sendable {
        public var key: Key
        /// SYNs (or datagrams) the initiator sent: retransmissions included.
        public var packets: Int
        public var firstSeenMicroseconds: UInt64
        public var lastSeenMicroseconds: UInt64
    }

    struct State {
        var packets = 0
        var first: UInt64
        var last: UInt64
        var answered = false
        var order: Int
    }

    public let capacity: Int
    private var states: [Key: State] = [:]
    /// Packets of conversations not tracked because `capacity` was reached.
    public private(set) var untracked = 0
    /// TCP packets that neither opened nor answered a tracked conversation (mid-stream).
    public private(set) var ignored = 0

    public init(capacity: Int = 100_000) {
        self.capacity = capacity
    }

    public var tracked: Int { states.count }
    public var isCapped: Bool { untracked > 0 }

    public mutating func add(_ packet: CapturedPacket) {
        let key = Key(proto: packet.proto, initiator: packet.source, responder: packet.destination)
        let time = packet.timestampMicroseconds
        if packet.proto == .tcp {
            if packet.isSYN {
                if states[key] != nil {
                    states[key]!.packets += 1
                    states[key]!.last = time
                } else if states[key.reversed] == nil {
                    open(key, time: time)
                }
            } else if packet.isSYNACK || packet.isRST, states[key.reversed] != nil {
                states[key.reversed]!.answered = true
            } else {
                ignored += 1
            }
            return
        }
        if states[key] != nil {
            states[key]!.packets += 1
            states[key]!.last = time
        } else if states[key.reversed] != nil {
            states[key.reversed]!.answered = true
        } else {
            open(key, time: time)
        }
    }

    private mutating func open(_ key: Key, time: UInt64) {
        guard states.count < capacity else {
            untracked += 1
            return
        }
        states[key] = State(packets: 1, first: time, last: time, order: states.count)
    }

    /// The conversations without an answer, in the order the capture opened them.
    public var unanswered: [Unanswered] {
        states.filter { !$0.value.answered }
            .sorted { ($0.value.first, $0.value.order) < ($1.value.first, $1.value.order) }
            .map {
                Unanswered(
                    key: $0.key, packets: $0.value.packets, firstSeenMicroseconds: $0.value.first,
                    lastSeenMicroseconds: $0.value.last)
            }
    }

    public var answeredCount: Int { states.values.filter(\.answered).count }
}
