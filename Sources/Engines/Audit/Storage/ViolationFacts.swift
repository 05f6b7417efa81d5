package import Conntrack
import NodeState
package import Policy

/// The fields of a violation that counts and groups need.
package struct ViolationFacts: Sendable {
    var source: IPAddress
    var destination: IPAddress
    var destinationPort: UInt16
    package var proto: IPProtocol
    package var translatedPort: UInt16
    package var isUnreplied: Bool
    package var isRemapped: Bool
    package var dataplane: Dataplane

    package var family: IPAddress.Family { source.family }
}

extension ViolationFacts {
    init(_ violation: Violation) {
        let original = violation.flow.original
        self.init(
            source: original.source, destination: original.destination, destinationPort: original.destinationPort,
            proto: original.proto, translatedPort: violation.translatedPort, isUnreplied: violation.isUnreplied,
            isRemapped: violation.isRemapped, dataplane: violation.dataplane)
    }
}
