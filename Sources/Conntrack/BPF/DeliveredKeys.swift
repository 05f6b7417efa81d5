/// The last delivered keys, newest last, with their hashes (SipHash, seeded
/// per process, so map contents cannot be chosen to collide) for the
/// "delivered already?" check. Bounded: past `capacity` the oldest is forgotten.
struct DeliveredKeys {
    let capacity: Int
    /// Kept keys are `keys[start...]`; the forgotten prefix is dropped in bulk.
    private var keys: [[UInt8]] = []
    private var hashes: [Int] = []
    private var start = 0
    private var members: [Int: Int] = [:]  // hash -> how many kept keys have it
    /// Keys forgotten because more were delivered than kept (they may still
    /// be in the map).
    private(set) var forgotten = 0

    init(capacity: Int) { self.capacity = capacity }

    func contains(_ hash: Int) -> Bool { members[hash] != nil }

    mutating func append(_ key: [UInt8], hash: Int) {
        keys.append(key)
        hashes.append(hash)
        members[hash, default: 0] += 1
        if keys.count - start > capacity {
            forget(hashes[start])
            start += 1
            forgotten += 1
        }
        if start >= capacity {
            keys.removeFirst(start)
            hashes.removeFirst(start)
            start = 0
        }
    }

    /// The newest kept key.
    var latest: [UInt8]? { keys.count > start ? keys.last : nil }

    /// Forgets the newest kept key (it left the map).
    mutating func dropLatest() {
        guard keys.count > start else { return }
        forget(hashes.removeLast())
        keys.removeLast()
    }

    private mutating func forget(_ hash: Int) {
        if let count = members[hash], count > 1 { members[hash] = count - 1 } else { members[hash] = nil }
    }
}
