package import Conntrack

/// The address space of one family cut where any of a set of networks starts
/// or ends: inside one segment every address is in the same networks, so one
/// address per segment answers for all of them. Used to ask a firewall about
/// peers (or node addresses) it treats differently, and to name a union of
/// segments back as networks.
package struct AddressSegments: Sendable {
    let family: IPAddress.Family
    /// Segment starts, ascending, the first one the family's lowest address.
    let starts: [IPAddress]

    init(family: IPAddress.Family, networks: [IPNetwork]) {
        self.family = family
        var cuts = Set([Self.lowest(family)])
        for network in networks where network.address.family == family {
            cuts.insert(network.address)
            if let next = Self.successor(network.last) { cuts.insert(next) }
        }
        starts = cuts.sorted()
    }

    var count: Int { starts.count }

    /// The last address of segment `index`.
    func end(_ index: Int) -> IPAddress {
        index + 1 < starts.count ? Self.predecessor(starts[index + 1])! : Self.highest(family)
    }

    /// The segments `indices` as networks (adjacent segments merged first).
    func networks(_ indices: [Int]) -> [IPNetwork] {
        var result: [IPNetwork] = []
        var runStart: Int?
        var previous = -2
        for index in indices.sorted() {
            if index != previous + 1, let start = runStart {
                result += Self.networks(from: starts[start], to: end(previous))
                runStart = nil
            }
            if runStart == nil { runStart = index }
            previous = index
        }
        if let start = runStart { result += Self.networks(from: starts[start], to: end(previous)) }
        return result
    }

    static func lowest(_ family: IPAddress.Family) -> IPAddress {
        family == .ipv4 ? IPAddress(ipv4: 0) : IPAddress(ipv6High: 0, low: 0)
    }

    static func highest(_ family: IPAddress.Family) -> IPAddress {
        family == .ipv4 ? IPAddress(ipv4: .max) : IPAddress(ipv6High: .max, low: .max)
    }

    static func successor(_ address: IPAddress) -> IPAddress? {
        switch address.family {
        case .ipv4:
            return address.low >= UInt64(UInt32.max) ? nil : IPAddress(ipv4: UInt32(address.low + 1))
        case .ipv6:
            if address.low < .max { return IPAddress(ipv6High: address.high, low: address.low + 1) }
            return address.high < .max ? IPAddress(ipv6High: address.high + 1, low: 0) : nil
        }
    }

    static func predecessor(_ address: IPAddress) -> IPAddress? {
        switch address.family {
        case .ipv4:
            return address.low == 0 ? nil : IPAddress(ipv4: UInt32(address.low - 1))
        case .ipv6:
            if address.low > 0 { return IPAddress(ipv6High: address.high, low: address.low - 1) }
            return address.high > 0 ? IPAddress(ipv6High: address.high - 1, low: .max) : nil
        }
    }

    /// The fewest networks that cover exactly `first` through `last`.
    package static func networks(from first: IPAddress, to last: IPAddress) -> [IPNetwork] {
        var result: [IPNetwork] = []
        var cursor: IPAddress? = first
        let bits = first.family.bitCount
        while let start = cursor, start <= last {
            // The largest block that starts at `start` (aligned) and ends by `last`.
            var prefix = bits
            while prefix > 0 {
                let wider = IPNetwork(unchecked: start, prefixLength: prefix - 1)
                guard wider.address == start, wider.last <= last else { break }
                prefix -= 1
            }
            let block = IPNetwork(unchecked: start, prefixLength: prefix)
            result.append(block)
            cursor = successor(block.last)
        }
        return result
    }
}

extension IPNetwork {
    /// The network's highest address.
    var last: IPAddress {
        let bits = address.family.bitCount
        let hostBits = bits - prefixLength
        switch address.family {
        case .ipv4:
            let mask: UInt64 = hostBits >= 32 ? UInt64(UInt32.max) : (UInt64(1) << UInt64(hostBits)) - 1
            return IPAddress(ipv4: UInt32(address.low | mask))
        case .ipv6:
            let lowMask: UInt64 = hostBits >= 64 ? .max : hostBits <= 0 ? 0 : (UInt64(1) << UInt64(hostBits)) - 1
            let highBits = hostBits - 64
            let highMask: UInt64 = highBits >= 64 ? .max : highBits <= 0 ? 0 : (UInt64(1) << UInt64(highBits)) - 1
            return IPAddress(ipv6High: address.high | highMask, low: address.low | lowMask)
        }
    }
}
