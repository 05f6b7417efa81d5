/// The key-by-key walk of a BPF hash map, for kernels without batch lookup:
/// BPF_MAP_GET_NEXT_KEY from key to key, BPF_MAP_LOOKUP_ELEM for each value.
/// Written over the two calls so that a fake map can drive it in tests.
///
/// The kernel answers GET_NEXT_KEY on a key that is no longer in the map
/// (deleted or expired while the walk stood on it) with the map's first key
/// (`htab_map_get_next_key`): the walk starts over. Two things keep it from
/// delivering an entry twice:
/// - a key it already delivered coming back is the sign of a restart; it
///   then resumes from the latest key it delivered that the map still holds
///   (the successor of a key that exists is a real successor), so a deletion
///   under the walk costs a few lookups, not a second pass;
/// - when every one of those is gone too, the restart is followed, and the
///   keys it meets again are skipped: the walk remembers a keyed 64-bit hash
///   (SipHash, seeded per process, so map contents cannot be chosen to
///   collide) of every key it delivered, 8 bytes per entry on this path only.
struct BPFKeyWalk {
    var keySize: Int
    var valueSize: Int
    /// Steps before the walk gives up on a map that keeps changing: twice its
    /// capacity plus one, so that it always ends.
    var maxSteps: Int
    /// How many delivered keys are kept to resume from.
    var resumeDepth = 8

    /// GET_NEXT_KEY: writes the key after `key` (the first key for nil, or
    /// for a key the map no longer holds) into `next`; false past the last key.
    var nextKey: (_ key: [UInt8]?, _ next: inout [UInt8]) throws(BPFError) -> Bool
    /// LOOKUP_ELEM: writes the value stored under `key`; false when there is none.
    var lookup: (_ key: [UInt8], _ value: inout [UInt8]) throws(BPFError) -> Bool

    /// Calls `body` once per key found, with the key and value bytes (valid
    /// only during the call); returns how many entries were delivered.
    func run(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(BPFError) -> Void) throws(BPFError) -> Int {
        var cursor: [UInt8]? = nil
        var next = [UInt8](repeating: 0, count: keySize)
        var value = [UInt8](repeating: 0, count: valueSize)
        var scratch = [UInt8](repeating: 0, count: max(valueSize, 1))
        var delivered = Set<Int>()
        var recent: [[UInt8]] = []  // the last keys delivered, oldest first
        var read = 0
        var steps = 0
        while steps < maxSteps {
            steps += 1
            guard try nextKey(cursor, &next) else { break }  // past the last key
            var hash = Self.hash(next)
            if cursor != nil && delivered.contains(hash) {
                // A key already delivered: the key the walk stood on is gone
                // and the kernel went back to the first key. Resume after the
                // latest delivered key the map still holds.
                switch try resume(from: recent, into: &next, scratch: &scratch) {
                case .resumed: hash = Self.hash(next)
                case .ended: return read
                case .restarted: break  // follow the restart; the hashes skip what was seen
                }
            }
            cursor = next
            if delivered.contains(hash) { continue }
            guard try lookup(next, &value) else { continue }  // deleted since GET_NEXT_KEY
            delivered.insert(hash)
            recent.append(next)
            if recent.count > resumeDepth { recent.removeFirst() }
            read += 1
            try Self.deliver(key: next, value: value, to: body)
        }
        return read
    }

    /// `body` with the bytes of `key` and `value` (withUnsafeBytes only rethrows untyped).
    static func deliver(
        key: [UInt8], value: [UInt8], to body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(BPFError) -> Void
    ) throws(BPFError) {
        try deliver(key: key[...], value: value[...], to: body)
    }

    static func deliver(
        key: ArraySlice<UInt8>, value: ArraySlice<UInt8>,
        to body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(BPFError) -> Void
    ) throws(BPFError) {
        var failure: BPFError?
        key.withUnsafeBytes { keyBytes in
            value.withUnsafeBytes { valueBytes in
                do throws(BPFError) { try body(keyBytes, valueBytes) } catch { failure = error }
            }
        }
        if let failure { throw failure }
    }

    private enum Resumption { case resumed, ended, restarted }

    /// The successor of the latest key in `recent` that the map still holds.
    private func resume(
        from recent: [[UInt8]], into next: inout [UInt8], scratch: inout [UInt8]
    ) throws(BPFError) -> Resumption {
        var candidate = [UInt8](repeating: 0, count: keySize)
        for key in recent.reversed() {
            guard try lookup(key, &scratch) else { continue }
            let more = try nextKey(key, &candidate)
            // Still there after the call: the kernel gave its real successor.
            guard try lookup(key, &scratch) else { continue }
            guard more else { return .ended }
            next = candidate
            return .resumed
        }
        return .restarted
    }

    static func hash(_ key: [UInt8]) -> Int {
        var hasher = Hasher()
        key.withUnsafeBytes { hasher.combine(bytes: $0) }
        return hasher.finalize()
    }
}
