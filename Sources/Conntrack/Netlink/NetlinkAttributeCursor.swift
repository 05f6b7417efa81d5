/// Walks the netlink attributes (struct nlattr, 4-byte aligned) in a buffer,
/// checking every length against the bytes actually present.
struct NetlinkAttributeCursor {
    private let buffer: UnsafeRawBufferPointer
    private var offset = 0

    /// nla_type's top two bits are flags (NLA_F_NESTED, NLA_F_NET_BYTEORDER).
    private static let typeMask: UInt16 = 0x3fff
    private static let headerSize = 4

    init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
    }

    /// The next attribute's type (flags stripped) and payload, or nil at the end.
    mutating func next() throws(DecodeError) -> (type: UInt16, payload: UnsafeRawBufferPointer)? {
        let remaining = buffer.count - offset
        // Trailing padding shorter than a header is not an attribute.
        guard remaining >= Self.headerSize else { return nil }
        let length = Int(buffer.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
        let type = buffer.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self) & Self.typeMask
        guard length >= Self.headerSize else {
            throw .badAttributeLength(what: "nlattr type \(type)", length: length)
        }
        guard length <= remaining else {
            throw .truncated(what: "nlattr type \(type)", needed: length, available: remaining)
        }
        let payload = UnsafeRawBufferPointer(rebasing: buffer[(offset + Self.headerSize)..<(offset + length)])
        // The last attribute may omit its alignment padding.
        offset = min(buffer.count, offset + ((length + 3) & ~3))
        return (type, payload)
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always)
    func bigEndianU16(_ what: @autoclosure () -> String) throws(DecodeError) -> UInt16 {
        guard count >= 2 else { throw .badAttributeLength(what: what(), length: count) }
        return UInt16(bigEndian: loadUnaligned(as: UInt16.self))
    }

    @inline(__always)
    func bigEndianU32(_ what: @autoclosure () -> String) throws(DecodeError) -> UInt32 {
        guard count >= 4 else { throw .badAttributeLength(what: what(), length: count) }
        return UInt32(bigEndian: loadUnaligned(as: UInt32.self))
    }

    @inline(__always)
    func bigEndianU64(_ what: @autoclosure () -> String) throws(DecodeError) -> UInt64 {
        guard count >= 8 else { throw .badAttributeLength(what: what(), length: count) }
        return UInt64(bigEndian: loadUnaligned(as: UInt64.self))
    }

    @inline(__always)
    func u8(_ what: @autoclosure () -> String) throws(DecodeError) -> UInt8 {
        guard count >= 1 else { throw .badAttributeLength(what: what(), length: count) }
        return load(as: UInt8.self)
    }
}
