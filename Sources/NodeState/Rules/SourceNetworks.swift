import Conntrack
import Policy

/// The value of a source match: one network, an address, or an nft set of them.
struct SourceNetworks: Sendable {
    /// nil: a value this reader does not understand (a named set, a map, a range).
    var networks: [IPNetwork]?

    init(_ text: String) {
        var value = text.trimmingSpaces
        if value.hasPrefix("{"), value.hasSuffix("}") {
            value = String(value.dropFirst().dropLast())
        }
        var parsed: [IPNetwork] = []
        for item in value.split(separator: ",") {
            guard let network = try? IPNetwork(parsing: String(item).trimmingSpaces) else {
                networks = nil
                return
            }
            parsed.append(network)
        }
        networks = parsed.isEmpty ? nil : parsed
    }

    /// Whether one of the networks holds `address`; nil when unknown.
    func contains(_ address: IPAddress) -> Bool? {
        networks.map { $0.contains { $0.contains(address) } }
    }
}
