internal import Conntrack

/// The fields of a violation that counts and groups need.
struct ViolationFacts: Sendable {
    var source: IPAddress
    var destination: IPAddress
    var destinationPort: UInt16
    var proto: IPProtocol
    var translatedPort: UInt16
    var isUnreplied: Bool
    var isRemapped: Bool
    var dataplane: Dataplane

    var family: IPAddress.Family { source.family }
}

extension ViolationFacts {
    init(_ violation: Violation) {
        let original = violation.flow.original
        self.init(source: original.source, destination: original.destination, destinationPort: original.destinationPort,
                  proto: original.proto, translatedPort: violation.translatedPort, isUnreplied: violation.isUnreplied,
                  isRemapped: violation.isRemapped, dataplane: violation.dataplane)
    }
}
