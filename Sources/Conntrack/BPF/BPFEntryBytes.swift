/// Bounds-checked reads from one map key or value. Every read checks its range
/// first and throws `DecodeError.truncated` instead of reading past the end.
struct BPFEntryBytes {
    let bytes: UnsafeRawBufferPointer
    let what: String

    init(_ bytes: UnsafeRawBufferPointer, what: String) {
        self.bytes = bytes
        self.what = what
    }

    private func check(_ offset: Int, _ count: Int) throws(DecodeError) {
        guard offset >= 0, count >= 0, offset <= bytes.count - count else {
            throw DecodeError.truncated(what: what, needed: offset + count, available: bytes.count)
        }
    }

    func u8(_ offset: Int) throws(DecodeError) -> UInt8 {
        try check(offset, 1)
        return bytes[offset]
    }

    /// Network order (`__be16`).
    func be16(_ offset: Int) throws(DecodeError) -> UInt16 {
        try check(offset, 2)
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    /// Host order on the little-endian machines these dataplanes run on.
    func le16(_ offset: Int) throws(DecodeError) -> UInt16 {
        try check(offset, 2)
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    func le32(_ offset: Int) throws(DecodeError) -> UInt32 {
        try check(offset, 4)
        var value: UInt32 = 0
        for index in (0..<4).reversed() { value = value << 8 | UInt32(bytes[offset + index]) }
        return value
    }

    /// An address stored in network order (4 or 16 bytes).
    func address(_ offset: Int, family: IPAddress.Family) throws(DecodeError) -> IPAddress {
        let count = family.byteCount
        try check(offset, count)
        // Cannot fail: exactly 4 or 16 bytes.
        return IPAddress(bytes: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]))!
    }

    func isZero(_ offset: Int, count: Int) throws(DecodeError) -> Bool {
        try check(offset, count)
        return bytes[offset..<offset + count].allSatisfy { $0 == 0 }
    }
}
