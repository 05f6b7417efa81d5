public import Conntrack

/// The violations of a report, worst first once sorted, kept compactly: 64
/// bytes each in fixed-size chunks (no doubling copies while a dump
/// appends), IPv6 addresses interned, and one pod identity per pod address.
/// Reading an element builds the full `Violation` on the fly, so writers
/// iterate it like an array.
public struct ViolationList: RandomAccessCollection, Sendable, ExpressibleByArrayLiteral {
    /// 1 024 records (64 KiB) per chunk: growth allocates one chunk, never
    /// copies what is already kept.
    private static let chunkShift = 10
    private static let chunkSize = 1 << chunkShift

    private var chunks: [[ViolationRecord]] = []
    private var table = IPv6AddressTable()
    /// Violations that do not pack (see `ViolationRecord`), kept whole.
    private var spilled: [Violation] = []
    /// The record behind each position once sorted; nil: insertion order.
    private var order: [UInt32]?
    /// The pod behind each violating source address (`attributePods`).
    private var pods: [IPAddress: PodIdentity] = [:]
    public private(set) var count = 0

    public init() {}

    public init(_ violations: some Sequence<Violation>) {
        for violation in violations { append(violation) }
    }

    public init(arrayLiteral violations: Violation...) {
        self.init(violations)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> Violation {
        precondition(position >= 0 && position < count, "ViolationList index out of range")
        var violation = materialize(record(at: order.map { Int($0[position]) } ?? position))
        if !pods.isEmpty { violation.pod = pods[violation.podSource] }
        return violation
    }

    private func record(at storage: Int) -> ViolationRecord {
        chunks[storage >> Self.chunkShift][storage & (Self.chunkSize - 1)]
    }

    private func materialize(_ record: ViolationRecord) -> Violation {
        record.isSpilled ? spilled[Int(record.id)] : record.violation(in: table)
    }

    /// Adds `violation` at the end. Its pod, if any, becomes the pod of its
    /// source address.
    public mutating func append(_ violation: Violation) {
        order?.append(UInt32(count))
        var stored = violation
        if let pod = violation.pod {
            pods[violation.podSource] = pod
            stored.pod = nil
        }
        let record = ViolationRecord(stored, table: &table) ?? {
            spilled.append(stored)
            return ViolationRecord(spilled: spilled.count - 1, like: stored)
        }()
        if count & (Self.chunkSize - 1) == 0 {
            var chunk: [ViolationRecord] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(record)
        count += 1
    }

    /// Names the pod behind each violating source address.
    public mutating func attributePods(_ identities: [IPAddress: PodIdentity]) {
        pods = identities
    }

    /// The distinct pod source addresses, in order of first appearance.
    public var podSources: [IPAddress] {
        var seen = Set<IPAddress>()
        var sources: [IPAddress] = []
        for position in indices {
            let source = sourceAddress(at: position)
            if seen.insert(source).inserted { sources.append(source) }
        }
        return sources
    }

    private func storageIndex(_ position: Int) -> Int { order.map { Int($0[position]) } ?? position }

    private func sourceAddress(at position: Int) -> IPAddress {
        let record = record(at: storageIndex(position))
        return record.isSpilled ? spilled[Int(record.id)].podSource : record.address(record.addresses.0, in: table)
    }

    /// What aggregate views read of the violation at `position`, without
    /// building the whole violation.
    func facts(at position: Int) -> ViolationFacts {
        let record = record(at: storageIndex(position))
        if record.isSpilled { return ViolationFacts(spilled[Int(record.id)]) }
        let proto = IPProtocol(rawValue: record.proto)
        let ports = record.flags.contains(.originalICMP) ? (UInt16(0), UInt16(0)) : (record.ports.0, record.ports.1)
        let translatedPort = record.flags.contains(.replyICMP) ? 0 : record.ports.3
        return ViolationFacts(
            source: record.address(record.addresses.0, in: table),
            destination: record.address(record.addresses.1, in: table),
            destinationPort: ports.1, proto: proto, translatedPort: translatedPort,
            isUnreplied: record.isUnreplied, isRemapped: proto.carriesPorts && ports.0 != translatedPort,
            dataplane: ViolationRecord.dataplanes[Int(record.dataplane)])
    }

    /// Orders the list worst first (`Violation.worstFirst`; stable) by
    /// sorting 4-byte positions on keys read from the records, not the
    /// records or whole violations.
    public mutating func sortWorstFirst() {
        guard order == nil else { return }
        var positions = Array(0..<UInt32(count))
        let list = self
        positions.sort { list.sortKey(Int($0)).isWorse(than: list.sortKey(Int($1))) }
        order = positions
    }

    /// What `Violation.worstFirst` compares, of the record at `storage`.
    private func sortKey(_ storage: Int) -> WorstFirstKey {
        let record = record(at: storage)
        if record.isSpilled { return WorstFirstKey(spilled[Int(record.id)]) }
        let portless = record.flags.contains(.originalICMP)
        return WorstFirstKey(
            unreplied: record.isUnreplied,
            source: record.address(record.addresses.0, in: table),
            destination: record.address(record.addresses.1, in: table),
            destinationPort: portless ? 0 : record.ports.1, proto: record.proto,
            sourcePort: portless ? 0 : record.ports.0)
    }
}

/// The fields of a violation that counts and groups need.
struct ViolationFacts {
    var source: IPAddress
    var destination: IPAddress
    var destinationPort: UInt16
    var proto: IPProtocol
    var translatedPort: UInt16
    var isUnreplied: Bool
    var isRemapped: Bool
    var dataplane: Dataplane

    init(source: IPAddress, destination: IPAddress, destinationPort: UInt16, proto: IPProtocol,
         translatedPort: UInt16, isUnreplied: Bool, isRemapped: Bool, dataplane: Dataplane) {
        self.source = source
        self.destination = destination
        self.destinationPort = destinationPort
        self.proto = proto
        self.translatedPort = translatedPort
        self.isUnreplied = isUnreplied
        self.isRemapped = isRemapped
        self.dataplane = dataplane
    }

    init(_ violation: Violation) {
        let original = violation.flow.original
        self.init(source: original.source, destination: original.destination, destinationPort: original.destinationPort,
                  proto: original.proto, translatedPort: violation.translatedPort, isUnreplied: violation.isUnreplied,
                  isRemapped: violation.isRemapped, dataplane: violation.dataplane)
    }

    var family: IPAddress.Family { source.family }
}

/// The fields `Violation.worstFirst` orders by, in its order.
struct WorstFirstKey {
    var unreplied: Bool
    var source: IPAddress
    var destination: IPAddress
    var destinationPort: UInt16
    var proto: UInt8
    var sourcePort: UInt16

    init(unreplied: Bool, source: IPAddress, destination: IPAddress, destinationPort: UInt16, proto: UInt8, sourcePort: UInt16) {
        self.unreplied = unreplied
        self.source = source
        self.destination = destination
        self.destinationPort = destinationPort
        self.proto = proto
        self.sourcePort = sourcePort
    }

    init(_ violation: Violation) {
        let original = violation.flow.original
        self.init(unreplied: violation.isUnreplied, source: original.source, destination: original.destination,
                  destinationPort: original.destinationPort, proto: original.proto.rawValue, sourcePort: original.sourcePort)
    }

    func isWorse(than other: WorstFirstKey) -> Bool {
        if unreplied != other.unreplied { return unreplied }
        if (source, destination) != (other.source, other.destination) {
            return (source, destination) < (other.source, other.destination)
        }
        if destinationPort != other.destinationPort { return destinationPort < other.destinationPort }
        if proto != other.proto { return proto < other.proto }
        return sourcePort < other.sourcePort
    }
}

extension ViolationList: Equatable {
    public static func == (a: ViolationList, b: ViolationList) -> Bool { a.elementsEqual(b) }
}
