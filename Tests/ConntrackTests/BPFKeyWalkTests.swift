import Testing

@testable import Conntrack

/// The key-by-key walk of a BPF hash map (kernels without batch lookup) on a
/// fake map that answers GET_NEXT_KEY like the kernel's hash map: a key the
/// map no longer holds gets the first key back. Entries deleted under the
/// walk must not make it deliver the surviving ones twice.
@Suite("BPF key-by-key walk on a map that changes under it")
struct BPFKeyWalkTests {
    /// Keys in bucket order, each with a one-byte value. `beforeNextKey`
    /// runs as GET_NEXT_KEY is called (the datapath deleting entries at that
    /// moment), `afterNextKey` between its answer and the walk's lookup, and
    /// `onDeliver` while the walk holds an entry.
    final class FakeMap {
        var keys: [UInt8]
        var memory = 4096
        var beforeNextKey: (_ key: UInt8?, FakeMap) -> Void = { _, _ in }
        var afterNextKey: (_ key: UInt8?, FakeMap) -> Void = { _, _ in }
        var onDeliver: (UInt8, FakeMap) -> Void = { _, _ in }
        private(set) var mayHaveRepeated = false

        init(_ keys: [UInt8]) { self.keys = keys }

        func delete(_ doomed: UInt8...) { keys.removeAll { doomed.contains($0) } }

        func walk() throws -> [UInt8] {
            var seen: [UInt8] = []
            var walk = BPFKeyWalk(
                keySize: 1, valueSize: 1, maxSteps: 2 * 64 + 1,
                nextKey: { key, next in
                    self.beforeNextKey(key?[0], self)
                    defer { self.afterNextKey(key?[0], self) }
                    guard !self.keys.isEmpty else { return false }
                    guard let key, let index = self.keys.firstIndex(of: key[0]) else {
                        next = [self.keys[0]]  // the kernel: unknown key -> first key
                        return true
                    }
                    guard index + 1 < self.keys.count else { return false }
                    next = [self.keys[index + 1]]
                    return true
                },
                lookup: { key, value in
                    guard self.keys.contains(key[0]) else { return false }
                    value = [key[0] &+ 100]
                    return true
                })
            walk.memory = memory
            let outcome = try walk.run { key, value in
                #expect(value[0] == key[0] &+ 100)
                seen.append(key[0])
                self.onDeliver(key[0], self)
            }
            #expect(outcome.entries == seen.count)
            mayHaveRepeated = outcome.mayHaveRepeated
            return seen
        }
    }

    @Test("an unchanged map: every key once, in order")
    func unchanged() throws {
        #expect(try FakeMap(Array(1...10)).walk() == Array(1...10))
        #expect(try FakeMap([]).walk() == [])
        #expect(try FakeMap([7]).walk() == [7])
    }

    @Test("the key the walk stands on deleted before GET_NEXT_KEY on it: the rest once each, no restart")
    func currentKeyDeletedBeforeNextKey() throws {
        let map = FakeMap(Array(1...10))
        map.beforeNextKey = { key, map in if key == 5 { map.delete(5) } }
        let seen = try map.walk()
        // 5 was gone before its value was read; without the resume the walk
        // restarts at 1 and delivers 1-4 again.
        #expect(seen == [1, 2, 3, 4, 6, 7, 8, 9, 10], "\(seen)")
        #expect(!map.mayHaveRepeated)
    }

    @Test("the key deleted between GET_NEXT_KEY's answer and its lookup: skipped, the successor kept")
    func currentKeyDeletedAfterNextKey() throws {
        let map = FakeMap(Array(1...6))
        map.afterNextKey = { key, map in if key == 3 { map.delete(3) } }
        #expect(try map.walk() == [1, 2, 4, 5, 6])
    }

    @Test("the delivered keys before it deleted too: resumes from the latest one left")
    func recentKeysDeleted() throws {
        let map = FakeMap(Array(1...12))
        map.beforeNextKey = { key, map in if key == 8 { map.delete(5, 6, 7, 8) } }
        let seen = try map.walk()
        #expect(seen == [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12], "\(seen)")
        #expect(!map.mayHaveRepeated)
    }

    @Test("every delivered key deleted (expiry sweeping behind the walk): each key once")
    func everyDeliveredKeyDeleted() throws {
        let map = FakeMap(Array(1...12))
        map.onDeliver = { key, map in map.delete(key) }
        #expect(try map.walk() == Array(1...12))
        let swept = FakeMap(Array(1...12))
        swept.beforeNextKey = { key, map in if let key { map.delete(key) } }
        // Each key is gone before its value is read: nothing delivered, the walk ends.
        #expect(try swept.walk() == [])
    }

    @Test("a key inserted ahead of the walk is delivered once; one deleted ahead is skipped")
    func insertAndDeleteAhead() throws {
        let map = FakeMap(Array(1...6))
        map.onDeliver = { key, map in
            if key == 2 {
                map.delete(4)
                map.keys.append(9)
            }
        }
        map.beforeNextKey = { key, map in if key == 3 { map.delete(3) } }
        #expect(try map.walk() == [1, 2, 5, 6, 9])
    }

    @Test("the last key deleted: the walk ends instead of starting over")
    func lastKeyDeleted() throws {
        let map = FakeMap(Array(1...4))
        map.beforeNextKey = { key, map in if key == 4 { map.delete(4) } }
        #expect(try map.walk() == [1, 2, 3])
    }

    @Test("more delivered keys removed than remembered, an older one still there: said, not hidden")
    func beyondMemory() throws {
        let map = FakeMap(Array(1...10))
        map.memory = 2
        // At 6, the keys the walk remembers (4, 5) and 6 itself go; 1-3 stay.
        map.beforeNextKey = { key, map in if key == 6 { map.delete(4, 5, 6) } }
        let seen = try map.walk()
        #expect(map.mayHaveRepeated)
        #expect(seen.suffix(4) == [7, 8, 9, 10], "\(seen)")
        // The same removals with every delivered key remembered: exact.
        let remembered = FakeMap(Array(1...10))
        remembered.beforeNextKey = map.beforeNextKey
        #expect(try remembered.walk() == [1, 2, 3, 4, 5, 7, 8, 9, 10])
        #expect(!remembered.mayHaveRepeated)
    }

    @Test("all remembered keys gone and nothing forgotten: back to the first key, nothing repeated")
    func allGoneNothingForgotten() throws {
        let map = FakeMap(Array(1...8))
        map.beforeNextKey = { key, map in if key == 4 { map.delete(1, 2, 3, 4) } }
        #expect(try map.walk() == [1, 2, 3, 5, 6, 7, 8])
        #expect(!map.mayHaveRepeated)
    }

    @Test("the remembered keys stay bounded")
    func deliveredKeysBounded() {
        var delivered = DeliveredKeys(capacity: 3)
        for key in UInt8(1)...10 { delivered.append([key], hash: Int(key)) }
        #expect(delivered.forgotten == 7)
        #expect(delivered.latest == [10])
        #expect(delivered.contains(8) && delivered.contains(10) && !delivered.contains(7))
        delivered.dropLatest()
        delivered.dropLatest()
        #expect(delivered.latest == [8])
        delivered.dropLatest()
        #expect(delivered.latest == nil)
        #expect(!delivered.contains(8))
    }
}
