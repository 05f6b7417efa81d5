/// The worst `limit` violations seen so far, for reports that print only
/// the worst flows: a max-heap on "least bad", so each new violation is
/// compared with the one it would evict first.
///
/// Ties in `WorstFirstKey` are broken by arrival, as the stable sort of a
/// full list breaks them, so the kept flows are exactly the first `limit`
/// of the fully sorted list.
struct WorstViolationHeap: Sendable {
    struct Entry: Sendable {
        var key: WorstFirstKey
        var sequence: Int
        /// Where the whole violation is stored.
        var slot: Int

        /// Comes before `other` in the worst-first order.
        func precedes(_ other: Entry) -> Bool {
            if key.isWorse(than: other.key) { return true }
            if other.key.isWorse(than: key) { return false }
            return sequence < other.sequence
        }
    }

    let limit: Int
    private(set) var entries: [Entry] = []

    init(limit: Int) {
        self.limit = limit
        entries.reserveCapacity(limit)
    }

    var isFull: Bool { entries.count >= limit }

    /// The entry a better one would replace.
    var leastBad: Entry? { entries.first }

    /// Whether `candidate` belongs among the kept ones.
    func admits(_ candidate: Entry) -> Bool {
        guard limit > 0 else { return false }
        guard isFull, let leastBad else { return true }
        return candidate.precedes(leastBad)
    }

    /// Adds `entry` when there is room.
    mutating func insert(_ entry: Entry) {
        precondition(!isFull)
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[parent].precedes(entries[child]) else { break }
            entries.swapAt(parent, child)
            child = parent
        }
    }

    /// Replaces the least bad entry with `entry` (which precedes it).
    mutating func replaceLeastBad(with entry: Entry) {
        entries[0] = entry
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var largest = parent
            if left < entries.count, entries[largest].precedes(entries[left]) { largest = left }
            if right < entries.count, entries[largest].precedes(entries[right]) { largest = right }
            if largest == parent { return }
            entries.swapAt(parent, largest)
            parent = largest
        }
    }

    /// The kept entries' slots, worst first.
    func slotsWorstFirst() -> [UInt32] {
        entries.sorted { $0.precedes($1) }.map { UInt32($0.slot) }
    }
}
