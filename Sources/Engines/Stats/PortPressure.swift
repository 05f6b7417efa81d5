public import Conntrack

/// How many translated source ports are in use towards one destination: the
/// port space NAT picks from for one (translated address, destination,
/// destination port, protocol). The kernel needs each reply tuple to be
/// unique, so every entry here holds one port; when the allowed range fills
/// up, NAT must pick ports outside it (remaps grow) or fail (insert_failed).
public struct PortPressure: Hashable, Sendable {
    /// The address flows leave the node with (reply tuple's destination).
    public var translated: IPAddress
    /// The server (reply tuple's source) and its port.
    public var destination: IPAddress
    public var destinationPort: UInt16
    public var proto: IPProtocol
    /// Entries holding a port in this space: source-NATed flows and the
    /// node's own connections from the same address alike.
    public var portsInUse = 0
    /// Of those, ports inside the allowed ranges.
    public var portsInAllowed = 0
    /// Source-NATed pod flows (in the policy's scope) among them.
    public var snat = 0
    /// Of those, flows whose port NAT changed.
    public var remapped = 0
    /// Source-NATed pod flows whose translated port is outside the allowed ranges.
    public var violations = 0
    /// Size of the allowed ranges (ports).
    public var allowedPorts: Int

    public init(translated: IPAddress, destination: IPAddress, destinationPort: UInt16, proto: IPProtocol, allowedPorts: Int) {
        self.translated = translated
        self.destination = destination
        self.destinationPort = destinationPort
        self.proto = proto
        self.allowedPorts = allowedPorts
    }

    /// Share of the allowed range in use, in parts per million (integral, so
    /// JSON stays exact): 1_000_000 means every allowed port is taken.
    public var sharePPM: Int {
        allowedPorts == 0 ? 0 : Int((Int64(portsInAllowed) * 1_000_000) / Int64(allowedPorts))
    }

    /// Most pressed first, then by address and port so the order is stable.
    public static func mostPressedFirst(_ a: PortPressure, _ b: PortPressure) -> Bool {
        if a.portsInAllowed != b.portsInAllowed { return a.portsInAllowed > b.portsInAllowed }
        if a.portsInUse != b.portsInUse { return a.portsInUse > b.portsInUse }
        if a.translated != b.translated { return a.translated < b.translated }
        if a.destination != b.destination { return a.destination < b.destination }
        if a.destinationPort != b.destinationPort { return a.destinationPort < b.destinationPort }
        return a.proto < b.proto
    }
}
