/// The CTA_IDs seen in one datagram: an open-addressing table cleared per
/// datagram, for `DumpResendFilter`. A `Set<UInt32>` hashed every id with
/// SipHash; kernel ids are already keyed hashes (`nf_ct_get_id`), so a
/// multiplicative spread of them is enough here.
struct DatagramIDSet {
    /// id + 1 << 32 where an id is stored; 0: empty.
    private var slots = [UInt64](repeating: 0, count: 512)
    private var count = 0

    func contains(_ id: UInt32) -> Bool {
        let mask = slots.count - 1
        var slot = Self.spread(id) & mask
        let stored = UInt64(id) | 1 << 32
        while slots[slot] != 0 {
            if slots[slot] == stored { return true }
            slot = (slot + 1) & mask
        }
        return false
    }

    /// Adds `id`; false when it was already there.
    mutating func insert(_ id: UInt32) -> Bool {
        if 2 * (count + 1) > slots.count { grow() }
        let mask = slots.count - 1
        var slot = Self.spread(id) & mask
        let stored = UInt64(id) | 1 << 32
        while slots[slot] != 0 {
            if slots[slot] == stored { return false }
            slot = (slot + 1) & mask
        }
        slots[slot] = stored
        count += 1
        return true
    }

    mutating func removeAll() {
        guard count > 0 else { return }
        for index in slots.indices { slots[index] = 0 }
        count = 0
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        count = 0
        for stored in old where stored != 0 { _ = insert(UInt32(truncatingIfNeeded: stored)) }
    }

    private static func spread(_ id: UInt32) -> Int {
        Int(truncatingIfNeeded: (UInt64(id) &* 0x9e37_79b9_7f4a_7c15) >> 32)
    }
}
