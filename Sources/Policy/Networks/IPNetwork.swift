public import Conntrack

/// An IPv4 or IPv6 network in CIDR notation, e.g. `10.244.0.0/16`, `fd00:10:244::/48`.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    /// Parses `ADDRESS/PREFIX` or a bare address (a /32 or /128). Host bits
    /// must be zero: `10.244.1.0/16` is rejected with the network it probably meant.
    public init(parsing text: String) throws(PolicyError) {
        let trimmed = text.trimmingSpaces
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else {
            throw .invalidNetwork(trimmed, reason: "expected ADDRESS/PREFIX, e.g. 10.244.0.0/16 or fd00::/48")
        }
        let maximum = address.family.bitCount
        var prefix = maximum
        if parts.count == 2 {
            guard let value = Int(parts[1]), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), value <= maximum else {
                throw .invalidNetwork(trimmed, reason: "prefix length must be 0-\(maximum)")
            }
            prefix = value
        }
        let network = IPNetwork(unchecked: address, prefixLength: prefix)
        guard network.address == address else {
            throw .invalidNetwork(trimmed, reason: "host bits are set; did you mean \(network)?")
        }
        self = network
    }

    /// A network from an address, masking off host bits.
    public init(unchecked address: IPAddress, prefixLength: Int) {
        let (highMask, lowMask) = IPNetwork.masks(family: address.family, prefixLength: prefixLength)
        switch address.family {
        case .ipv4: self.address = IPAddress(ipv4: UInt32(truncatingIfNeeded: address.low & lowMask))
        case .ipv6: self.address = IPAddress(ipv6High: address.high & highMask, low: address.low & lowMask)
        }
        self.prefixLength = prefixLength
    }

    public func contains(_ candidate: IPAddress) -> Bool {
        guard candidate.family == address.family else { return false }
        let (highMask, lowMask) = IPNetwork.masks(family: address.family, prefixLength: prefixLength)
        return candidate.high & highMask == address.high && candidate.low & lowMask == address.low
    }

    public var description: String { "\(address)/\(prefixLength)" }

    private static func masks(family: IPAddress.Family, prefixLength: Int) -> (UInt64, UInt64) {
        func mask(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? .max : ~(UInt64.max >> UInt64(bits)) }
        switch family {
        case .ipv4:
            // Swift's << yields 0 when shifting by the full width (a /0 network).
            return (0, UInt64(UInt32.max << UInt32(32 - min(max(prefixLength, 0), 32))))
        case .ipv6:
            return (mask(prefixLength), mask(prefixLength - 64))
        }
    }
}
