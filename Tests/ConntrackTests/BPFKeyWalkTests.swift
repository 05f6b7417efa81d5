import Testing
@testable import Conntrack

/// The key-by-key walk of a BPF hash map (kernels without batch lookup) on a
/// fake map that answers GET_NEXT_KEY like the kernel's hash map: a key the
/// map no longer holds gets the first key back. Entries deleted under the
/// walk must not make it deliver the surviving ones twice.
@Suite("BPF key-by-key walk on a map that changes under it")
struct BPFKeyWalkTests {
    /// Keys in bucket order, each with a one-byte value; `onDeliver` may
    /// change the map while the walk holds an entry (as the datapath does).
    final class FakeMap {
        var keys: [UInt8]
        var onDeliver: (UInt8, FakeMap) -> Void = { _, _ in }

        init(_ keys: [UInt8]) { self.keys = keys }

        func walk() throws -> [UInt8] {
            var seen: [UInt8] = []
            let walk = BPFKeyWalk(
                keySize: 1, valueSize: 1, maxSteps: 2 * 16 + 1,
                nextKey: { key, next in
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
            let read = try walk.run { key, value in
                #expect(value[0] == key[0] &+ 100)
                seen.append(key[0])
                self.onDeliver(key[0], self)
            }
            #expect(read == seen.count)
            return seen
        }

        func delete(_ key: UInt8) { keys.removeAll { $0 == key } }
    }

    @Test("an unchanged map: every key once, in order")
    func unchanged() throws {
        #expect(try FakeMap(Array(1...10)).walk() == Array(1...10))
        #expect(try FakeMap([]).walk() == [])
    }

    @Test("the current key deleted while delivered: each entry exactly once")
    func currentKeyDeleted() throws {
        let map = FakeMap(Array(1...10))
        map.onDeliver = { key, map in if key == 5 { map.delete(5) } }
        let seen = try map.walk()
        #expect(seen == Array(1...10), "without the fix the walk restarts at 1 and delivers 1-4 again")
    }

    @Test("every delivered key deleted (expiry sweeping behind the walk): no replay")
    func everyDeliveredKeyDeleted() throws {
        let map = FakeMap(Array(1...12))
        map.onDeliver = { key, map in map.delete(key) }
        #expect(try map.walk() == Array(1...12))
    }

    @Test("more deletions than the walk resumes from: the restart is followed, seen keys skipped")
    func deletionsBeyondResumeDepth() throws {
        // At 12 the first twelve keys (more than resumeDepth) are all gone,
        // as is the key the walk stands on: nothing to resume from.
        let map = FakeMap(Array(1...16))
        map.onDeliver = { key, map in
            if key == 12 { for gone in UInt8(1)...12 where gone != 3 { map.delete(gone) } }
        }
        let seen = try map.walk()
        #expect(seen == Array(1...16), "\(seen)")
        #expect(Set(seen).count == seen.count)
    }

    @Test("a key inserted ahead of the walk is delivered once; one deleted ahead is skipped")
    func insertAndDeleteAhead() throws {
        let map = FakeMap(Array(1...6))
        map.onDeliver = { key, map in
            if key == 2 { map.delete(4); map.keys.append(9) }
            if key == 3 { map.delete(3) }
        }
        #expect(try map.walk() == [1, 2, 3, 5, 6, 9])
    }

    @Test("a key at the end deleted: the walk ends instead of starting over")
    func lastKeyDeleted() throws {
        let map = FakeMap(Array(1...4))
        map.onDeliver = { key, map in if key == 4 { map.delete(4) } }
        #expect(try map.walk() == [1, 2, 3, 4])
    }
}
