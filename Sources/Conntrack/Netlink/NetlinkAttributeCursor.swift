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
    /// Inlined: the decoder walks about ten of these per entry.
    @inline(__always)
    mutating func next() throws(DecodeError) -> (type: UInt16, payload: UnsafeRawBufferPointer)? {
        let remaining = buffer.count - offset
        // Trailing padding shorter than a header is not an attribute.
        guard remaining >= Self.headerSize else { return nil }
        let length = Int(buffer.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
        let type = buffer.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self) & Self.typeMask
        guard length >= Self.headerSize, length <= remaining else {
            throw Self.lengthError(type: type, length: length, remaining: remaining)
        }
        let payload = UnsafeRawBufferPointer(start: buffer.baseAddress! + offset + Self.headerSize, count: length - Self.headerSize)
        // The last attribute may omit its alignment padding.
        offset = min(buffer.count, offset + ((length + 3) & ~3))
        return (type, payload)
    }

    /// The error for a length that does not fit; out of line, off the hot path.
    @inline(never)
    private static func lengthError(type: UInt16, length: Int, remaining: Int) -> DecodeError {
        if length < headerSize { return .badAttributeLength(what: "nlattr type \(type)", length: length) }
        return .truncated(what: "nlattr type \(type)", needed: length, available: remaining)
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
