import Conntrack
public import Policy

/// What happened to one BPF map ctaudit looked for: read, or present but not
/// readable (and why). Absent maps are not listed.
public struct DataplaneMapReading: Hashable, Sendable {
    public enum Outcome: Hashable, Sendable {
        /// Read to the end: entries walked, translations decoded, entries that
        /// did not decode (skipped and counted), egress entries without their
        /// reverse entry (not audited: NodePort DSR replies, or a pair being
        /// created or expiring).
        case read(entries: Int, translations: Int, malformed: Int, unpaired: Int)
        /// Present, but ctaudit could not read it: permission, unknown layout.
        case unreadable(reason: String)
    }

    public var dataplane: Dataplane
    public var path: String
    public var outcome: Outcome

    public init(dataplane: Dataplane, path: String, outcome: Outcome) {
        self.dataplane = dataplane
        self.path = path
        self.outcome = outcome
    }

    public var isRead: Bool {
        if case .read = outcome { return true }
        return false
    }
}

/// Which dataplanes one audit read: conntrack always, and every BPF NAT map
/// found under the bpffs.
public struct DataplaneSurvey: Hashable, Sendable {
    /// The bpffs directory searched; nil when BPF maps were not looked for.
    public var bpffs: String?
    public var maps: [DataplaneMapReading] = []
    /// Why the maps could not even be looked for (an unsearchable directory),
    /// or what may be wrong with what was read from them.
    public var problems: [String] = []

    public init(bpffs: String? = nil, maps: [DataplaneMapReading] = [], problems: [String] = []) {
        self.bpffs = bpffs
        self.maps = maps
        self.problems = problems
    }

    /// Dataplanes with at least one map read, conntrack first.
    public var read: [Dataplane] {
        [.conntrack]
            + Dataplane.allCases.filter { plane in
                plane != .conntrack && maps.contains { $0.dataplane == plane && $0.isRead }
            }
    }

    /// BPF NAT dataplanes present on the node (a map was found).
    public var present: [Dataplane] {
        Dataplane.allCases.filter { plane in maps.contains { $0.dataplane == plane } }
    }

    /// One line per map that exists but could not be read: the audit cannot
    /// vouch for what that dataplane translated.
    public var warnings: [String] {
        problems
            + maps.compactMap { reading in
                guard case .unreadable(let reason) = reading.outcome else { return nil }
                return "\(reading.dataplane) NAT map present but not read, its translations are not audited: \(reason)"
            }
    }
}
