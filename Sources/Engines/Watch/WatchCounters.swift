public import Conntrack

/// What `watch --listen/--textfile` exposes to Prometheus: counts that only
/// grow over the life of the process (one flow is counted once, at its first
/// sighting), and a few gauges. Labels are bounded: address family and
/// protocol only, never a pod, address or port.
public struct WatchCounters: Hashable, Sendable {
    public struct Key: Hashable, Sendable, Comparable {
        public var family: IPAddress.Family
        public var proto: IPProtocol

        public init(family: IPAddress.Family, proto: IPProtocol) {
            self.family = family
            self.proto = proto
        }

        public static func < (a: Key, b: Key) -> Bool {
            (a.proto.rawValue, a.family.rawValue) < (b.proto.rawValue, b.family.rawValue)
        }
    }

    public struct PerKey: Hashable, Sendable {
        /// Distinct in-scope source-NATed pod flows seen.
        public var snat: Int64 = 0
        /// Of those, flows whose translated source port is outside the allowed ranges.
        public var violating: Int64 = 0
        /// Violations that ended without ever getting a reply.
        public var violatingUnreplied: Int64 = 0
        /// Flows whose replies a firewall rule ctaudit cannot judge decides (`--firewall`).
        public var uncertain: Int64 = 0
        /// Violations alive now (a gauge).
        public var current: Int64 = 0
        public init() {}
    }

    /// Series that always exist, at zero when clean, so `increase()` sees the
    /// first violation and `absent()` alerts mean what they say.
    public static let baselineKeys: [Key] = [
        Key(family: .ipv4, proto: .tcp), Key(family: .ipv6, proto: .tcp),
        Key(family: .ipv4, proto: .udp), Key(family: .ipv6, proto: .udp),
    ]

    public var byKey: [Key: PerKey] = [:]
    /// Events the kernel dropped (exact when it keeps the count, see `WatchSummary.eventsLostExact`).
    public var eventsLost: UInt64 = 0
    /// ENOBUFS reports.
    public var overruns: UInt64 = 0
    /// Table dumps run because events were lost.
    public var resyncs: UInt64 = 0
    /// Event messages that did not decode.
    public var malformed: UInt64 = 0
    /// Violations from the initial dump still followed by dumps (a gauge).
    public var followedExisting: Int64 = 0
    /// Wall clock of the last event read, nanoseconds since the epoch (0: none yet).
    public var lastEventNanoseconds: UInt64 = 0

    public init() {
        for key in Self.baselineKeys { byKey[key] = PerKey() }
    }

    mutating func add(_ field: WritableKeyPath<PerKey, Int64>, _ key: Key, _ delta: Int64 = 1) {
        byKey[key, default: PerKey()][keyPath: field] += delta
    }

    /// Totals over every key, for tests and summaries.
    public func total(_ field: KeyPath<PerKey, Int64>) -> Int64 {
        byKey.values.reduce(0) { $0 + $1[keyPath: field] }
    }
}
