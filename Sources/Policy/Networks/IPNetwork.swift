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

    /// Parses a network a person gave (`--pod-cidr`, `--exclude-dst`,
    /// `--service-cidr`, the config file): `ADDRESS/PREFIX` only. A bare
    /// address used to become one host, so `--pod-cidr 10.42.0.0` audited no
    /// pod at all; it is refused, naming the network it probably meant.
    /// Rule readers keep `init(parsing:)`: nft prints one host without a prefix.
    public init(parsingCIDR text: String) throws(PolicyError) {
        let trimmed = text.trimmingSpaces
        guard !trimmed.contains("/"), let address = IPAddress(trimmed) else {
            self = try IPNetwork(parsing: trimmed)
            return
        }
        throw .invalidNetwork(trimmed, reason: Self.missingPrefixHint(address))
    }

    /// `write 10.42.0.0/16 for the network`: the shortest prefix that keeps
    /// every non-zero byte (IPv4) or 16-bit group (IPv6); an address with no
    /// trailing zeros is more likely one host.
    static func missingPrefixHint(_ address: IPAddress) -> String {
        let bits = address.family.bitCount
        let step = address.family == .ipv4 ? 8 : 16
        var prefix = bits
        while prefix > 0, IPNetwork(unchecked: address, prefixLength: prefix - step).address == address {
            prefix -= step
        }
        if prefix == bits {
            let typical = IPNetwork(unchecked: address, prefixLength: address.family == .ipv4 ? 16 : 64)
            return "no prefix length; write \(address)/\(bits) for this one address, or the network it is in (e.g. \(typical))"
        }
        return
            "no prefix length; write \(IPNetwork(unchecked: address, prefixLength: prefix)) for the network (a bare address would be one host, \(address)/\(bits))"
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
