internal import CConntrack
internal import CConntrackShim
import Glibc
import SystemPackage

/// A read-only descriptor of one pinned BPF map. Opened with BPF_OBJ_GET and
/// BPF_F_RDONLY: nothing here can change the map.
public final class BPFMap: @unchecked Sendable {
    public let path: String
    public let facts: BPFMapFacts
    private let descriptor: FileDescriptor

    /// Opens the map pinned at `path` and asks the kernel for its type and sizes.
    public init(path: String) throws(BPFError) {
        let descriptor: FileDescriptor
        switch SystemCall.retryingInterrupts({ ctaudit_bpf_obj_get_readonly(path) }) {
        case .success(let fd): descriptor = FileDescriptor(rawValue: fd)
        case .failure(let error): throw BPFError.from(error, operation: "BPF_OBJ_GET", path: path)
        }
        // A pinned program or link opens too, and its info is not a map's.
        guard Self.isMapDescriptor(descriptor.rawValue) else {
            try? descriptor.close()
            throw BPFError.notAMap(path: path)
        }
        var raw = ctaudit_bpf_map_facts()
        guard ctaudit_bpf_map_facts(descriptor.rawValue, &raw) == 0 else {
            let error = Errno(rawValue: errno)
            try? descriptor.close()
            throw BPFError.from(error, operation: "BPF_OBJ_GET_INFO_BY_FD", path: path)
        }
        let type: BPFMapFacts.MapType =
            switch raw.type {
            case ctaudit_bpf_map_type_hash(): .hash
            case ctaudit_bpf_map_type_lru_hash(): .lruHash
            default: .other(raw.type)
            }
        let name = withUnsafeBytes(of: raw.name) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        self.descriptor = descriptor
        self.path = path
        self.facts = BPFMapFacts(
            type: type, keySize: Int(raw.key_size), valueSize: Int(raw.value_size),
            maxEntries: Int(raw.max_entries), name: name)
    }

    deinit { try? descriptor.close() }

    /// The kernel names a map descriptor `anon_inode:bpf-map` in /proc/self/fd.
    private static func isMapDescriptor(_ fd: CInt) -> Bool {
        var buffer = [CChar](repeating: 0, count: 64)
        let length = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
        guard length > 0 else { return true }  // no /proc: the size checks still apply
        let target = buffer.prefix(length).map { UInt8(bitPattern: $0) }
        return String(decoding: target, as: UTF8.self) == "anon_inode:bpf-map"
    }

    /// Calls `body` with every entry's key and value bytes (valid only during
    /// the call). Reads in batches (BPF_MAP_LOOKUP_BATCH, Linux 5.6+: a
    /// thousand entries a syscall, bucket by bucket, so a changing map is not
    /// walked twice); where the kernel has no batch lookup, walks the map
    /// with BPF_MAP_GET_NEXT_KEY + LOOKUP_ELEM.
    /// `batched: false` forces the key-by-key walk (tests of the fallback).
    @discardableResult
    public func forEachEntry(
        batched: Bool = true, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(BPFError) -> Void
    ) throws(BPFError) -> Walk {
        if batched, let read = try forEachEntryInBatches(body) { return Walk(entries: read, mayHaveRepeated: false) }
        let walk = try forEachEntryByKey(body)
        return Walk(entries: walk.entries, mayHaveRepeated: walk.mayHaveRepeated)
    }

    /// What one walk read.
    public struct Walk: Hashable, Sendable {
        public var entries: Int
        /// The key-by-key walk could not rule out reading an entry twice: more
        /// entries it had just read were removed from the map under it than it
        /// remembers (`BPFKeyWalk`). Batch reads never repeat.
        public var mayHaveRepeated: Bool
    }

    /// Nil when the kernel cannot batch-read this map (then nothing was read).
    private func forEachEntryInBatches(
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(BPFError) -> Void
    ) throws(BPFError) -> Int? {
        let keySize = max(facts.keySize, 1)
        let valueSize = max(facts.valueSize, 1)
        var capacity = 1024
        var keys = [UInt8](repeating: 0, count: capacity * keySize)
        var values = [UInt8](repeating: 0, count: capacity * valueSize)
        var tokenIn = [UInt8](repeating: 0, count: max(keySize, 8))
        var tokenOut = tokenIn
        var first = true
        var read = 0
        while true {
            var count = UInt32(capacity)
            let rc = tokenIn.withUnsafeBytes { inBatch in
                tokenOut.withUnsafeMutableBytes { outBatch in
                    keys.withUnsafeMutableBytes { k in
                        values.withUnsafeMutableBytes { v in
                            ctaudit_bpf_map_lookup_batch(
                                descriptor.rawValue, first ? nil : inBatch.baseAddress, outBatch.baseAddress,
                                k.baseAddress, v.baseAddress, &count)
                        }
                    }
                }
            }
            let error = rc == 0 ? nil : Errno(rawValue: errno)
            if let error, error != .noSuchFileOrDirectory {
                if error == .noSpace && count == 0 && capacity < 1 << 20 {
                    // One hash bucket holds more entries than the buffer: grow it, same batch again.
                    capacity *= 4
                    keys = [UInt8](repeating: 0, count: capacity * keySize)
                    values = [UInt8](repeating: 0, count: capacity * valueSize)
                    continue
                }
                if first && (error == .invalidArgument || error == .notSupported || error.rawValue == 524 /* ENOTSUPP */) {
                    return nil
                }
                throw BPFError.from(error, operation: "BPF_MAP_LOOKUP_BATCH", path: path)
            }
            let returned = min(Int(count), capacity)
            for index in 0..<returned {
                try BPFKeyWalk.deliver(
                    key: keys[index * keySize..<(index + 1) * keySize],
                    value: values[index * valueSize..<(index + 1) * valueSize], to: body)
            }
            read += returned
            if error != nil { return read }  // ENOENT: that was the last batch
            swap(&tokenIn, &tokenOut)
            first = false
        }
    }

    /// The walk for kernels without batch lookup (`BPFKeyWalk`): entries
    /// removed while walking are skipped, a map changing under the walk does
    /// not send it back over what it read, and it always ends.
    private func forEachEntryByKey(
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(BPFError) -> Void
    ) throws(BPFError) -> BPFKeyWalk.Outcome {
        let walk = BPFKeyWalk(
            keySize: max(facts.keySize, 1), valueSize: max(facts.valueSize, 1), maxSteps: 2 * facts.maxEntries + 1,
            nextKey: { (key, next) throws(BPFError) in try self.nextKey(after: key, into: &next) },
            lookup: { (key, value) throws(BPFError) in try self.lookup(key: key, into: &value).get() })
        return try walk.run(body)
    }

    private func nextKey(after key: [UInt8]?, into next: inout [UInt8]) throws(BPFError) -> Bool {
        let rc = next.withUnsafeMutableBytes { nextKey in
            if let key {
                key.withUnsafeBytes { ctaudit_bpf_map_next_key(descriptor.rawValue, $0.baseAddress, nextKey.baseAddress) }
            } else {
                ctaudit_bpf_map_next_key(descriptor.rawValue, nil, nextKey.baseAddress)
            }
        }
        if rc == 0 { return true }
        let error = Errno(rawValue: errno)
        if error == .noSuchFileOrDirectory { return false }  // past the last key
        throw BPFError.from(error, operation: "BPF_MAP_GET_NEXT_KEY", path: path)
    }

    /// The value stored under `key`, or nil when there is none.
    public func value(forKey key: [UInt8]) throws(BPFError) -> [UInt8]? {
        guard key.count == facts.keySize else { return nil }
        var value = [UInt8](repeating: 0, count: max(facts.valueSize, 1))
        return try lookup(key: key, into: &value).get() ? value : nil
    }

    private func lookup(key: [UInt8], into value: inout [UInt8]) -> Result<Bool, BPFError> {
        let rc = key.withUnsafeBytes { k in
            value.withUnsafeMutableBytes { ctaudit_bpf_map_lookup(descriptor.rawValue, k.baseAddress, $0.baseAddress) }
        }
        if rc == 0 { return .success(true) }
        let error = Errno(rawValue: errno)
        if error == .noSuchFileOrDirectory { return .success(false) }
        return .failure(BPFError.from(error, operation: "BPF_MAP_LOOKUP_ELEM", path: path))
    }
}
