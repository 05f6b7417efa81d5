public import Conntrack
public import NodeState
import Policy

/// The violations of a report, kept compactly: 64-byte records in chunks
/// (no doubling copies while a dump appends), IPv6 addresses interned, one
/// pod identity per pod address. Reading an element builds the whole
/// `Violation`, so writers iterate the list like an array.
///
/// A list can keep every violation whole (`.all`: JSON, NDJSON, merge) or
/// only the worst N (`.worst(n)`: text, HTML and Prometheus print counts,
/// groups and their worst flows); it then keeps a 16-byte key of every
/// violation for the counts and groups. Iterating gives the kept
/// violations; `total` counts all, and `facts(at:)` reads any of them.
public struct ViolationList: RandomAccessCollection, Sendable, ExpressibleByArrayLiteral {
    public enum Retention: Sendable, Hashable {
        case all
        /// Keep the worst N whole, a key of every one.
        case worst(Int)
    }

    public let retention: Retention
    /// `.all`: every violation, in arrival order; `.worst`: the kept ones, by slot.
    private var records = ChunkedArray<ViolationRecord>()
    /// `.worst` only: every violation's key, in arrival order.
    private var keys = ChunkedArray<PackedViolationFacts>()
    private var worst: WorstViolationHeap?
    private var table = IPv6AddressTable()
    /// Violations that do not pack (see `ViolationRecord`), kept whole.
    private var spilled: [(violation: Violation, facts: PackedViolationFacts)] = []
    /// The record behind each position once sorted; nil: arrival order.
    private var order: [UInt32]?
    /// The pod behind each violating source address (`attributePods`).
    private var pods: [IPAddress: PodIdentity] = [:]
    /// `--firewall`: each distinct deciding rule once, and per record (by
    /// slot, like `records`) its index + 1 (0: none). A few rules decide
    /// thousands of violations, so 2 bytes each instead of a copy of the words.
    private var decisions: [FirewallDecision] = []
    private var decisionSlots: [FirewallDecision: UInt16] = [:]
    private var recordDecisions = ChunkedArray<UInt16>()
    /// Violations added, kept whole or not.
    public private(set) var total = 0

    public init(retention: Retention = .all) {
        self.retention = retention
        if case .worst(let limit) = retention { worst = WorstViolationHeap(limit: Swift.max(0, limit)) }
    }

    public init(_ violations: some Sequence<Violation>) {
        self.init()
        for violation in violations { append(violation) }
    }

    public init(arrayLiteral violations: Violation...) {
        self.init(violations)
    }

    /// Every violation is kept whole: what JSON needs.
    public var isComplete: Bool { records.count == total }

    public var startIndex: Int { 0 }
    public var endIndex: Int { records.count }

    public subscript(position: Int) -> Violation {
        precondition(position >= 0 && position < records.count, "ViolationList index out of range")
        let slot = order.map { Int($0[position]) } ?? position
        var violation = materialize(records[slot])
        if !pods.isEmpty { violation.pod = pods[violation.podSource] }
        if !decisions.isEmpty, recordDecisions.count > slot, recordDecisions[slot] > 0 {
            violation.firewallDecision = decisions[Int(recordDecisions[slot]) - 1]
        }
        return violation
    }

    private func materialize(_ record: ViolationRecord) -> Violation {
        record.isSpilled ? spilled[Int(record.id)].violation : record.violation(in: table)
    }

    private mutating func pack(_ violation: Violation) -> ViolationRecord {
        if let record = ViolationRecord(violation, table: &table) { return record }
        spilled.append((violation, PackedViolationFacts(ViolationFacts(violation), table: &table)))
        return ViolationRecord(spilled: spilled.count - 1)
    }

    /// Adds `violation` at the end. Its pod, if any, becomes the pod of its
    /// source address.
    public mutating func append(_ violation: Violation) {
        var stored = violation
        if let pod = violation.pod {
            pods[violation.podSource] = pod
            stored.pod = nil
        }
        let decision = intern(violation.firewallDecision)
        stored.firewallDecision = nil
        defer { total += 1 }
        guard var worst else {
            order?.append(UInt32(records.count))
            records.append(pack(stored))
            if !decisions.isEmpty { storeDecision(decision, at: records.count - 1) }
            return
        }
        self.worst = nil  // uniquely referenced while it changes
        defer { self.worst = worst }
        keys.append(PackedViolationFacts(ViolationFacts(stored), table: &table))
        var entry = WorstViolationHeap.Entry(key: WorstFirstKey(stored), sequence: total, slot: records.count)
        guard worst.admits(entry) else { return }
        if worst.isFull, let evicted = worst.leastBad {
            entry.slot = evicted.slot
            records[entry.slot] = pack(stored)
            worst.replaceLeastBad(with: entry)
        } else {
            records.append(pack(stored))
            worst.insert(entry)
        }
        if !decisions.isEmpty { storeDecision(decision, at: entry.slot) }
        if order != nil { order = worst.slotsWorstFirst() }
    }

    /// The index + 1 of `decision` in `decisions` (0: none), added when new.
    private mutating func intern(_ decision: FirewallDecision?) -> UInt16 {
        guard let decision else { return 0 }
        if let slot = decisionSlots[decision] { return slot }
        // More distinct deciding rules than 65 535 cannot come from a real
        // firewall file; past that a violation keeps no rule name.
        guard decisions.count < Int(UInt16.max) else { return 0 }
        decisions.append(decision)
        let slot = UInt16(decisions.count)
        decisionSlots[decision] = slot
        return slot
    }

    /// Records `slot`'s decision; slots recorded before the first decision read 0.
    private mutating func storeDecision(_ decision: UInt16, at slot: Int) {
        while recordDecisions.count <= slot { recordDecisions.append(0) }
        recordDecisions[slot] = decision
    }

    /// Names the pod behind each violating source address.
    public mutating func attributePods(_ identities: [IPAddress: PodIdentity]) {
        pods = identities
    }

    /// The pod named for a violating source address.
    public func pod(for source: IPAddress) -> PodIdentity? { pods[source] }

    /// The pods named, by source address.
    public var podIdentities: [IPAddress: PodIdentity] { pods }

    /// What counts and groups read of violation `index` (arrival order,
    /// `0..<total`), kept whole or not.
    func facts(at index: Int) -> ViolationFacts {
        if worst != nil { return keys[index].facts(in: table) }
        let record = records[index]
        if record.isSpilled { return ViolationFacts(spilled[Int(record.id)].violation) }
        return record.facts(in: table)
    }

    /// The (pod, destination, port, protocol) of violation `index` as two
    /// integers, equal exactly when those are: addresses by their slot (an
    /// IPv4 address itself, an IPv6 one's index in the table), with their
    /// families. Grouping sorts on these instead of decoding addresses.
    func groupKey(at index: Int) -> (UInt64, UInt32) {
        if worst != nil { return keys[index].groupKey }
        let record = records[index]
        return record.isSpilled ? spilled[Int(record.id)].facts.groupKey : record.groupKey
    }

    /// Facts of every violation, in arrival order.
    package var allFacts: some Sequence<ViolationFacts> { (0..<total).lazy.map { facts(at: $0) } }

    /// The distinct pod source addresses, in order of first appearance.
    public var podSources: [IPAddress] {
        var seen = Set<IPAddress>()
        var sources: [IPAddress] = []
        for facts in allFacts where seen.insert(facts.source).inserted { sources.append(facts.source) }
        return sources
    }

    /// Orders the kept violations worst first (`Violation.worstFirst`,
    /// stable), sorting 4-byte positions on keys read from the records.
    public mutating func sortWorstFirst() {
        if let worst {
            order = worst.slotsWorstFirst()
            return
        }
        guard order == nil else { return }
        var positions = Array(0..<UInt32(records.count))
        let list = self
        positions.sort { list.sortKey(Int($0)).isWorse(than: list.sortKey(Int($1))) }
        order = positions
    }

    private func sortKey(_ slot: Int) -> WorstFirstKey {
        let record = records[slot]
        return record.isSpilled ? WorstFirstKey(spilled[Int(record.id)].violation) : record.worstFirstKey(in: table)
    }
}

extension ViolationList: Equatable {
    public static func == (a: ViolationList, b: ViolationList) -> Bool {
        a.total == b.total && a.elementsEqual(b)
    }
}
