internal import Conntrack

/// IPv6 addresses of a report's violations, each stored once, in about 28
/// bytes per address: the 16 address bytes in chunks plus a 4-byte slot in
/// an open-addressing index kept at most half full. A `Dictionary` from
/// address to index cost ~90 bytes per address, and a synthetic node with
/// ten thousand IPv6 pods has ten thousand of them.
struct IPv6AddressTable: Sendable {
    private struct Bits: Sendable {
        var high: UInt64
        var low: UInt64
    }

    private var addresses = ChunkedArray<Bits>()
    /// Index + 1 of the address hashed here; 0: empty.
    private var slots: [UInt32] = []

    mutating func index(of address: IPAddress) -> UInt32 {
        if 2 * (addresses.count + 1) > slots.count { grow() }
        let mask = slots.count - 1
        var slot = Self.hash(address.high, address.low) & mask
        while slots[slot] != 0 {
            let stored = addresses[Int(slots[slot]) - 1]
            if stored.high == address.high && stored.low == address.low { return slots[slot] - 1 }
            slot = (slot + 1) & mask
        }
        addresses.append(Bits(high: address.high, low: address.low))
        slots[slot] = UInt32(addresses.count)
        return UInt32(addresses.count - 1)
    }

    subscript(index: UInt32) -> IPAddress {
        let bits = addresses[Int(index)]
        return IPAddress(ipv6High: bits.high, low: bits.low)
    }

    private mutating func grow() {
        let size = Swift.max(64, slots.count * 2)
        slots = [UInt32](repeating: 0, count: size)
        let mask = size - 1
        for index in 0..<addresses.count {
            let bits = addresses[index]
            var slot = Self.hash(bits.high, bits.low) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(index + 1)
        }
    }

    /// splitmix64's finalizer over both halves: pod addresses differ in
    /// their last bits only, which must reach the slot's bits.
    private static func hash(_ high: UInt64, _ low: UInt64) -> Int {
        var z = high &* 0x9e37_79b9_7f4a_7c15 ^ low
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return Int(truncatingIfNeeded: z ^ (z >> 31))
    }
}
