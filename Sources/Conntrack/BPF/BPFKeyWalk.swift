/// The key-by-key walk of a BPF hash map, for kernels without batch lookup:
/// BPF_MAP_GET_NEXT_KEY from key to key, BPF_MAP_LOOKUP_ELEM for each value.
/// Written over the two calls so that a fake map can drive it in tests.
///
/// The kernel answers GET_NEXT_KEY on a key that is no longer in the map
/// (deleted or expired while the walk stood on it) with the map's first key
/// (`htab_map_get_next_key`): the walk would start over and deliver every
/// entry before it a second time. So:
/// - the successor is asked for first, then the key's value: a key still
///   there after GET_NEXT_KEY had its real successor returned;
/// - a key gone by then means the answer may be the first key: the walk
///   resumes after the latest key it delivered that the map still holds
///   (its successor is past everything delivered since, all of which is
///   gone), checking each remembered key at most once;
/// - only when none of the last `memory` delivered keys is left does it
///   follow the kernel back to the first key, skipping those it remembers.
///   If it delivered more keys than it remembers, an older one still in
///   the map can come again: the walk says so (`mayHaveRepeated`) rather
///   than hold every key (memory stays bounded: `memory` keys).
struct BPFKeyWalk {
    var keySize: Int
    var valueSize: Int
    /// Steps before the walk gives up on a map that keeps changing: twice its
    /// capacity plus one, so that it always ends.
    var maxSteps: Int
    /// How many of the last delivered keys are kept to resume from.
    var memory = 4096

    /// GET_NEXT_KEY: writes the key after `key` (the first key for nil, or
    /// for a key the map no longer holds) into `next`; false past the last key.
    var nextKey: (_ key: [UInt8]?, _ next: inout [UInt8]) throws(BPFError) -> Bool
    /// LOOKUP_ELEM: writes the value stored under `key`; false when there is none.
    var lookup: (_ key: [UInt8], _ value: inout [UInt8]) throws(BPFError) -> Bool

    struct Outcome: Hashable, Sendable {
        /// Entries delivered.
        var entries = 0
        /// The map changed so much under the walk that an entry may have been
        /// delivered twice (see above).
        var mayHaveRepeated = false
    }

    /// Calls `body` once per key found, with the key and value bytes (valid
    /// only during the call).
    func run(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(BPFError) -> Void) throws(BPFError) -> Outcome {
        var outcome = Outcome()
        var delivered = DeliveredKeys(capacity: max(memory, 1))
        var cursor = [UInt8](repeating: 0, count: keySize)
        var next = cursor
        var value = [UInt8](repeating: 0, count: valueSize)
        guard try nextKey(nil, &cursor) else { return outcome }  // an empty map
        var steps = 0
        while steps < maxSteps {
            steps += 1
            var hasNext = try nextKey(cursor, &next)
            if try lookup(cursor, &value) {
                // Still there after GET_NEXT_KEY: `next` is its real successor.
                let hash = Self.hash(cursor)
                if !delivered.contains(hash) {
                    delivered.append(cursor, hash: hash)
                    outcome.entries += 1
                    try Self.deliver(key: cursor, value: value, to: body)
                }
            } else if let resumed = try resume(&delivered, into: &next) {
                hasNext = resumed
            } else if delivered.forgotten > 0 {
                // Back to the first key with older delivered keys forgotten.
                outcome.mayHaveRepeated = true
            }
            guard hasNext else { break }
            swap(&cursor, &next)
        }
        return outcome
    }

    /// After the key the walk stood on vanished: writes the successor of the
    /// latest delivered key still in the map into `next` and says whether
    /// there is one; nil when no remembered key is left. Keys found gone are
    /// forgotten, so each costs its two calls once.
    private func resume(_ delivered: inout DeliveredKeys, into next: inout [UInt8]) throws(BPFError) -> Bool? {
        var candidate = [UInt8](repeating: 0, count: keySize)
        var scratch = [UInt8](repeating: 0, count: valueSize)
        while let key = delivered.latest {
            let more = try nextKey(key, &candidate)
            if try lookup(key, &scratch) {
                next = candidate
                return more
            }
            delivered.dropLatest()
        }
        return nil
    }

    static func hash(_ key: [UInt8]) -> Int {
        var hasher = Hasher()
        key.withUnsafeBytes { hasher.combine(bytes: $0) }
        return hasher.finalize()
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
}
