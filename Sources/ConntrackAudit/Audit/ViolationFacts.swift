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
