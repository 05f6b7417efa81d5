internal import Conntrack

/// The fields `Violation.worstFirst` orders by, in its order.
struct WorstFirstKey: Sendable {
    var unreplied: Bool
    var source: IPAddress
    var destination: IPAddress
    var destinationPort: UInt16
    var proto: UInt8
    var sourcePort: UInt16

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

extension WorstFirstKey {
    init(_ violation: Violation) {
        let original = violation.flow.original
        self.init(
            unreplied: violation.isUnreplied, source: original.source, destination: original.destination,
            destinationPort: original.destinationPort, proto: original.proto.rawValue, sourcePort: original.sourcePort)
    }
}
